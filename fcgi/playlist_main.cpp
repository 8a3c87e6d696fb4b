#include "fcgi/playlist_handler.hpp"

int main(int argc, char** argv) {
  auto cache = std::make_shared<cctv::web::PlaylistCache>();
  return cctv::web::serve_main(argc, argv, "cctv-playlist", [cache](const cctv::Config& config) {
    return std::make_unique<cctv::web::PlaylistHandler>(config, cache);
  });
}
