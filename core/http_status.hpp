// HTTP status codes' reason phrases (RFC 9110 section 15), for the answers the web
// programs give and for the S3 errors the worker reports.
#pragma once

#include <string_view>

namespace cctv {

// "Not Found" for 404; "" for a code not in the table.
std::string_view http_reason_phrase(long status);

}  // namespace cctv
