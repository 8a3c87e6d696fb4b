#include "worker/app.hpp"

int main(int argc, char** argv) { return cctv::worker::run(argc, argv); }
