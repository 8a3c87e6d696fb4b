// Private helpers shared by the catalog's source files (core/catalog.cpp,
// core/catalog_status.cpp, core/catalog_converted.cpp). Not part of the API.
#pragma once

#include "core/civil_time.hpp"

namespace cctv::catalog_detail {

inline UtcMicros now_us() { return utc_now(); }

}  // namespace cctv::catalog_detail

// Declares `sqlite::Statement& var`, the catalog's prepared statement for `sql`, or
// returns its error from the enclosing Catalog member (which has `m_db`).
#define CCTV_STATEMENT(var, sql)                  \
  auto var##_result = m_db.prepared(sql);         \
  if (!var##_result) {                            \
    return std::unexpected(var##_result.error()); \
  }                                               \
  sqlite::Statement& var = **var##_result
