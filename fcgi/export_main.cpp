#include "fcgi/media_handler.hpp"

int main(int argc, char** argv) {
  return cctv::web::serve_main(argc, argv, "cctv-export", [](const cctv::Config& config) {
    return std::make_unique<cctv::web::MediaHandler>(config);
  });
}
