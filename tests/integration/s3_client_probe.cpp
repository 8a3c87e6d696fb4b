// s3_client_probe: a small command line over the S3 client (worker/s3_client.hpp), built
// for tests/integration/test_s3.py only. It reads the worker's config (s3Config and
// awsCredentials, with the AWS_* environment fallback) and runs one operation:
//
//   s3_client_probe --config FILE upload KEY FILE    single PUT or multipart, then HEAD
//   s3_client_probe --config FILE head KEY
//   s3_client_probe --config FILE presign KEY [SECONDS]   (default: presignSeconds)
//   s3_client_probe --config FILE delete KEY
//   s3_client_probe --config FILE upload-dir PREFIX DIR   every file of DIR, in sequence,
//                                                         on one client (keep-alive)
//
// KEY is relative to s3Path. Results are one JSON line on stdout (presign: the URL).
// A failure is one line on stderr, "s3_client_probe: <retryable|permanent> <kind>:
// <message>", and the exit status 3 (retryable) or 2 (permanent); 1 is a usage or config
// error.
#include "core/config.hpp"
#include "worker/s3_client.hpp"
#include "worker/s3_error.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace cctv;
using namespace cctv::worker;

int usage() {
  std::cerr << "usage: s3_client_probe --config FILE (upload KEY FILE | upload-dir PREFIX DIR | "
               "head KEY | presign KEY [SECONDS] | delete KEY)\n";
  return 1;
}

int failed(const Error& e) {
  std::cerr << "s3_client_probe: " << s3::error_class(e) << " " << to_string(e.kind) << ": "
            << e.message << "\n";
  return s3::is_retryable(e) ? 3 : 2;
}

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() < 4 || args[0] != "--config") return usage();
  auto config = load_config(args[1]);
  if (!config) {
    std::cerr << "s3_client_probe: " << config.error().message << "\n";
    return 1;
  }
  if (!config->s3.enabled()) {
    std::cerr << "s3_client_probe: s3Config.s3Bucket is not set\n";
    return 1;
  }
  auto client = s3::Client::create(s3::client_options(config->s3));
  if (!client) return failed(client.error());
  const std::string& command = args[2];
  const std::string key = config->s3.key_for(args[3]);

  if (command == "upload" && args.size() == 5) {
    const auto start = std::chrono::steady_clock::now();
    auto up = client->upload_file(key, args[4]);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!up) return failed(up.error());
    const double mib_per_s = static_cast<double>(up->size) / 1048576.0 / std::max(seconds, 1e-6);
    std::printf(
        "{\"key\": %s, \"size\": %llu, \"etag\": %s, \"md5\": %s, \"parts\": %d, "
        "\"verified\": %s, \"seconds\": %.3f, \"mib_per_s\": %.1f}\n",
        json_string(up->key).c_str(), static_cast<unsigned long long>(up->size),
        json_string(up->etag).c_str(), json_string(up->md5_hex).c_str(), up->parts,
        up->verified ? "true" : "false", seconds, mib_per_s);
    return 0;
  }
  if (command == "upload-dir" && args.size() == 5) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(args[4])) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    std::uint64_t bytes = 0;
    const auto start = std::chrono::steady_clock::now();
    for (const auto& file : files) {
      auto up = client->upload_file(key + "/" + file.filename().string(), file);
      if (!up) return failed(up.error());
      bytes += up->size;
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("{\"files\": %zu, \"bytes\": %llu, \"seconds\": %.3f, \"mib_per_s\": %.1f}\n",
                files.size(), static_cast<unsigned long long>(bytes), seconds,
                static_cast<double>(bytes) / 1048576.0 / std::max(seconds, 1e-6));
    return 0;
  }
  if (command == "head" && args.size() == 4) {
    auto info = client->head_object(key);
    if (!info) return failed(info.error());
    std::printf("{\"key\": %s, \"size\": %llu, \"etag\": %s}\n", json_string(key).c_str(),
                static_cast<unsigned long long>(info->size), json_string(info->etag).c_str());
    return 0;
  }
  if (command == "presign" && (args.size() == 4 || args.size() == 5)) {
    const long seconds = args.size() == 5 ? std::stol(args[4]) : config->s3.presign_seconds;
    auto url = client->presign_get(key, std::chrono::seconds(seconds));
    if (!url) return failed(url.error());
    std::printf("%s\n", url->c_str());
    return 0;
  }
  if (command == "delete" && args.size() == 4) {
    auto deleted = client->delete_object(key);
    if (!deleted) return failed(deleted.error());
    std::printf("{\"key\": %s, \"deleted\": true}\n", json_string(key).c_str());
    return 0;
  }
  return usage();
}
