#define BOOST_TEST_MODULE query
#include "fcgi/query.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using cctv::ErrorKind;
using cctv::web::Query;

BOOST_AUTO_TEST_CASE(parses_and_decodes_parameters) {
  auto q = Query::parse("camera=front%20door&date=2026-11-20&live=1&flag");
  BOOST_REQUIRE(q);
  BOOST_TEST(*q->get("camera") == "front door");
  BOOST_TEST(*q->get("date") == "2026-11-20");
  BOOST_TEST(*q->get("live") == "1");
  BOOST_TEST(q->has("flag"));
  BOOST_TEST(*q->get("flag") == "");
  BOOST_TEST(!q->has("missing"));
}

BOOST_AUTO_TEST_CASE(plus_is_a_space_and_empty_pairs_are_skipped) {
  auto q = Query::parse("&&a=b+c&&=x&");
  BOOST_REQUIRE(q);
  BOOST_TEST(*q->get("a") == "b c");
}

BOOST_AUTO_TEST_CASE(hostile_queries_are_rejected_with_a_reason) {
  const char* hostile[] = {
      "a=%zz", "a=%4", "a=%", "a=%00", "a=%0a", "a=x%7f", "a=%ff%fe", "a=%c3", "a=1&a=2",
  };
  for (const char* text : hostile) {
    auto q = Query::parse(text);
    BOOST_TEST_CONTEXT(text) {
      BOOST_TEST(!q);
      if (!q) {
        BOOST_TEST((q.error().kind == ErrorKind::invalid_argument));
        BOOST_TEST(!q.error().message.empty());
        BOOST_TEST(q.error().message.find('\n') == std::string::npos);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(traversal_text_is_just_a_value) {
  // Decoding is not validation: the handlers check values (a date, a camera name).
  auto q = Query::parse("date=..%2F..%2Fetc%2Fpasswd");
  BOOST_REQUIRE(q);
  BOOST_TEST(*q->get("date") == "../../etc/passwd");
}

BOOST_AUTO_TEST_CASE(utf8_is_accepted) {
  auto q = Query::parse("camera=%C3%A9t%C3%A9");
  BOOST_REQUIRE(q);
  BOOST_TEST(*q->get("camera") == "\xc3\xa9t\xc3\xa9");
}

BOOST_AUTO_TEST_CASE(length_limits) {
  BOOST_TEST(!Query::parse(std::string(cctv::web::k_max_query_bytes + 1, 'a')));
  BOOST_TEST(!!Query::parse("a=" + std::string(cctv::web::k_max_query_bytes - 2, 'b')));
  BOOST_TEST(!Query::parse(std::string(65, 'n') + "=1"));
}

BOOST_AUTO_TEST_CASE(flags) {
  using cctv::web::parse_flag;
  for (const char* yes : {"1", "true", "yes"}) BOOST_TEST(*parse_flag("live", yes));
  for (const char* no : {"0", "false", "no", ""}) BOOST_TEST(!*parse_flag("live", no));
  auto bad = parse_flag("live", "2");
  BOOST_REQUIRE(!bad);
  BOOST_TEST(bad.error().message.find("live") == 0U);
}
