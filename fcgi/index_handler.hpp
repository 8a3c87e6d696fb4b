// GET / : the date-grouped index page, rendered with templates/index.tpl.
#pragma once

#include "fcgi/archive_access.hpp"
#include "fcgi/server.hpp"

namespace cctv::web {

class IndexHandler final : public Handler {
 public:
  explicit IndexHandler(const Config& config) : m_access(config) {}
  Response handle(const Request& request) override;

 private:
  Result<Response> respond(const Request& request);
  ArchiveAccess m_access;
};

// Registers the template compiled into the program; call once before serving.
void register_index_template();

}  // namespace cctv::web
