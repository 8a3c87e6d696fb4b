#include "fcgi/index_handler.hpp"

int main(int argc, char** argv) {
  cctv::web::register_index_template();
  return cctv::web::serve_main(argc, argv, "cctv-index", [](const cctv::Config& config) {
    return std::make_unique<cctv::web::IndexHandler>(config);
  });
}
