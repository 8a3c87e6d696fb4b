// Unit tests for core/sqlite: the RAII wrappers (moves, finalisation, closing),
// transactions that roll back unless committed, and the mapping of SQLite errors.
#define BOOST_TEST_MODULE sqlite
#include <boost/test/unit_test.hpp>

#include "core/sqlite.hpp"
#include "tests/unit/printers.hpp"
#include "tests/unit/temp_dir.hpp"

#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <stdexcept>
#include <string>
#include <utility>

using namespace cctv;
using sqlite::Database;
using sqlite::Statement;
using sqlite::Transaction;
namespace fs = std::filesystem;

namespace {

using cctv::test::TempDir;

// A temporary database with one table t(id INTEGER PRIMARY KEY, v TEXT UNIQUE).
struct Fixture {
  TempDir dir;
  fs::path file = dir.path() / "test.sqlite";
  Database db = open_rw(file);

  static Database open_rw(const fs::path& path) {
    auto db = Database::open(path, Database::Mode::read_write_create);
    if (!db) throw std::runtime_error(db.error().message);
    if (auto r = db->exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)");
        !r) {
      throw std::runtime_error(r.error().message);
    }
    return std::move(*db);
  }

  std::int64_t count() {
    auto s = db.prepared("SELECT count(*) FROM t");
    if (!s) throw std::runtime_error(s.error().message);
    auto row = (*s)->step();
    const std::int64_t n = row && *row ? (*s)->column_int(0) : -1;
    (*s)->reset();
    return n;
  }

  Result<void> insert(std::string_view value) {
    auto s = db.prepared("INSERT INTO t (v) VALUES (?1)");
    if (!s) return std::unexpected(s.error());
    (*s)->bind(1, value);
    return (*s)->run();
  }
};

// A statement prepared directly on a connection, owned by a Statement.
Statement prepare(Database& db, const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db.handle(), sql, -1, &stmt, nullptr) != SQLITE_OK) {
    throw std::runtime_error(sqlite3_errmsg(db.handle()));
  }
  return Statement(db.handle(), stmt);
}

// How many statements the connection has not finalised.
int open_statements(sqlite3* db) {
  int n = 0;
  for (sqlite3_stmt* s = sqlite3_next_stmt(db, nullptr); s != nullptr;
       s = sqlite3_next_stmt(db, s)) {
    ++n;
  }
  return n;
}

}  // namespace

// ---------------------------------------------------------------- Statement

BOOST_FIXTURE_TEST_CASE(statement_binds_steps_and_reads_columns, Fixture) {
  BOOST_TEST_REQUIRE(db.exec("CREATE TABLE c (i INTEGER, d REAL, s TEXT, n TEXT)").has_value());
  auto ins = db.prepared("INSERT INTO c VALUES (?1, ?2, ?3, NULL)");
  BOOST_TEST_REQUIRE(ins.has_value());
  const std::string with_nul("a\0b", 3);
  (*ins)->bind(1, std::int64_t{1} << 40).bind(2, 2.5).bind(3, std::string_view(with_nul));
  BOOST_TEST_REQUIRE((*ins)->run().has_value());
  BOOST_TEST(db.changes() == 1);
  BOOST_TEST(db.last_insert_rowid() == 1);

  auto sel = db.prepared("SELECT i, d, s, n FROM c");
  BOOST_TEST_REQUIRE(sel.has_value());
  auto row = (*sel)->step();
  BOOST_TEST_REQUIRE(row.has_value());
  BOOST_TEST_REQUIRE(*row);
  BOOST_TEST((*sel)->column_int(0) == std::int64_t{1} << 40);
  BOOST_TEST((*sel)->column_double(1) == 2.5);
  BOOST_TEST((*sel)->column_text(2) == with_nul);  // embedded NUL kept
  BOOST_TEST((*sel)->column_is_null(3));
  BOOST_TEST((*sel)->column_text(3).empty());
  BOOST_TEST(!(*sel)->column_is_null(0));
  auto done = (*sel)->step();
  BOOST_TEST_REQUIRE(done.has_value());
  BOOST_TEST(!*done);
}

BOOST_FIXTURE_TEST_CASE(prepared_statements_are_cached_and_reset, Fixture) {
  auto a = db.prepared("SELECT ?1");
  BOOST_TEST_REQUIRE(a.has_value());
  (*a)->bind(1, std::int64_t{7});
  BOOST_TEST_REQUIRE((*a)->step().value_or(false));
  // Handed out again mid-row: the same object, reset, bindings cleared.
  auto b = db.prepared("SELECT ?1");
  BOOST_TEST_REQUIRE(b.has_value());
  BOOST_TEST(*a == *b);
  BOOST_TEST_REQUIRE((*b)->step().value_or(false));
  BOOST_TEST((*b)->column_is_null(0));
}

BOOST_FIXTURE_TEST_CASE(prepare_errors_carry_the_sql_and_sqlite_message, Fixture) {
  auto bad = db.prepared("SELEC nonsense");
  BOOST_TEST_REQUIRE(!bad.has_value());
  BOOST_TEST(bad.error().message.find("SELEC nonsense") != std::string::npos, bad.error().message);
  BOOST_TEST(bad.error().message.find("syntax error") != std::string::npos, bad.error().message);
  auto missing = db.prepared("SELECT * FROM no_such_table");
  BOOST_TEST_REQUIRE(!missing.has_value());
  BOOST_TEST(missing.error().message.find("no_such_table") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(statement_move_construction_transfers_ownership, Fixture) {
  const int before = open_statements(db.handle());
  Statement a = prepare(db, "SELECT 1");
  BOOST_TEST(open_statements(db.handle()) == before + 1);
  Statement b(std::move(a));
  BOOST_TEST(!a.valid());  // NOLINT(bugprone-use-after-move): checking the moved-from state
  BOOST_TEST(b.valid());
  BOOST_TEST(open_statements(db.handle()) == before + 1);
  BOOST_TEST_REQUIRE(b.step().value_or(false));
  BOOST_TEST(b.column_int(0) == 1);
}

BOOST_FIXTURE_TEST_CASE(statement_move_assignment_finalizes_the_old_statement, Fixture) {
  const int before = open_statements(db.handle());
  {
    Statement a = prepare(db, "SELECT 1");
    Statement b = prepare(db, "SELECT 2");
    BOOST_TEST(open_statements(db.handle()) == before + 2);
    a = std::move(b);
    BOOST_TEST(open_statements(db.handle()) == before + 1);  // "SELECT 1" is gone
    BOOST_TEST(!b.valid());                                  // NOLINT(bugprone-use-after-move)
    BOOST_TEST_REQUIRE(a.step().value_or(false));
    BOOST_TEST(a.column_int(0) == 2);
    // Assigning an empty statement releases the held one.
    a = Statement();
    BOOST_TEST(!a.valid());
    BOOST_TEST(open_statements(db.handle()) == before);
  }
  BOOST_TEST(open_statements(db.handle()) == before);
}

BOOST_FIXTURE_TEST_CASE(statement_self_move_assignment_keeps_it, Fixture) {
  Statement a = prepare(db, "SELECT 3");
  Statement& alias = a;
  a = std::move(alias);
  BOOST_TEST(a.valid());
  BOOST_TEST_REQUIRE(a.step().value_or(false));
  BOOST_TEST(a.column_int(0) == 3);
}

BOOST_FIXTURE_TEST_CASE(statements_go_with_their_scope, Fixture) {
  const int before = open_statements(db.handle());
  { Statement a = prepare(db, "SELECT 1"); }
  BOOST_TEST(open_statements(db.handle()) == before);
}

// ---------------------------------------------------------------- Database

BOOST_FIXTURE_TEST_CASE(database_move_keeps_the_connection_and_its_statements, Fixture) {
  BOOST_TEST_REQUIRE(insert("a").has_value());
  auto cached = db.prepared("SELECT count(*) FROM t");
  BOOST_TEST_REQUIRE(cached.has_value());
  sqlite3* handle = db.handle();
  Database moved(std::move(db));
  BOOST_TEST(db.handle() == nullptr);  // NOLINT(bugprone-use-after-move)
  BOOST_TEST(moved.handle() == handle);
  BOOST_TEST(moved.path() == file.string());
  // The cached statement lives on with the connection.
  auto again = moved.prepared("SELECT count(*) FROM t");
  BOOST_TEST_REQUIRE(again.has_value());
  BOOST_TEST(*again == *cached);
  BOOST_TEST_REQUIRE((*again)->step().value_or(false));
  BOOST_TEST((*again)->column_int(0) == 1);
}

BOOST_FIXTURE_TEST_CASE(database_move_assignment_closes_the_old_connection, Fixture) {
  // The old connection holds the write lock of its file; once it is replaced by
  // move assignment the lock must be gone (its transaction rolled back).
  const fs::path other_file = dir.path() / "other.sqlite";
  Database other = open_rw(other_file);
  Database holder = open_rw(other_file);
  BOOST_TEST_REQUIRE(holder.exec("BEGIN IMMEDIATE").has_value());
  BOOST_TEST_REQUIRE(holder.exec("INSERT INTO t (v) VALUES ('uncommitted')").has_value());
  BOOST_TEST_REQUIRE(holder.prepared("SELECT 1").has_value());  // a cached statement too

  holder = std::move(db);              // closes the connection to other.sqlite
  BOOST_TEST(db.handle() == nullptr);  // NOLINT(bugprone-use-after-move)
  BOOST_TEST(holder.path() == file.string());

  auto begin = other.exec("BEGIN IMMEDIATE");  // would wait 5 s and fail if still locked
  BOOST_TEST_REQUIRE(begin.has_value());
  BOOST_TEST_REQUIRE(other.exec("COMMIT").has_value());
  auto s = other.prepared("SELECT count(*) FROM t");
  BOOST_TEST_REQUIRE(s.has_value());
  BOOST_TEST_REQUIRE((*s)->step().value_or(false));
  BOOST_TEST((*s)->column_int(0) == 0);  // the uncommitted row is gone

  // The moved-in connection works.
  auto n = holder.prepared("SELECT count(*) FROM t");
  BOOST_TEST_REQUIRE(n.has_value());
  BOOST_TEST((*n)->step().value_or(false));
}

BOOST_FIXTURE_TEST_CASE(database_self_move_assignment_keeps_it, Fixture) {
  Database& alias = db;
  db = std::move(alias);
  BOOST_TEST(db.handle() != nullptr);
  BOOST_TEST(insert("x").has_value());
}

BOOST_AUTO_TEST_CASE(read_only_open_of_a_missing_file_is_not_found) {
  TempDir dir;
  auto db = Database::open(dir.path() / "missing.sqlite", Database::Mode::read_only);
  BOOST_TEST_REQUIRE(!db.has_value());
  BOOST_TEST(db.error().kind == ErrorKind::not_found);
  BOOST_TEST(db.error().message.find("missing.sqlite") != std::string::npos, db.error().message);
  BOOST_TEST(!fs::exists(dir.path() / "missing.sqlite"));
}

BOOST_FIXTURE_TEST_CASE(read_only_connection_cannot_write, Fixture) {
  auto ro = Database::open(file, Database::Mode::read_only);
  BOOST_TEST_REQUIRE(ro.has_value());
  auto r = ro->exec("INSERT INTO t (v) VALUES ('x')");
  BOOST_TEST(!r.has_value());
  auto s = ro->prepared("INSERT INTO t (v) VALUES ('y')");
  BOOST_TEST_REQUIRE(s.has_value());
  BOOST_TEST(!(*s)->run().has_value());
  BOOST_TEST(count() == 0);
}

// ---------------------------------------------------------------- Transaction

BOOST_FIXTURE_TEST_CASE(transaction_rolls_back_unless_committed, Fixture) {
  {
    auto tx = Transaction::begin(db);
    BOOST_TEST_REQUIRE(tx.has_value());
    BOOST_TEST_REQUIRE(insert("a").has_value());
    BOOST_TEST(count() == 1);  // visible inside
  }
  BOOST_TEST(count() == 0);
}

BOOST_FIXTURE_TEST_CASE(committed_transaction_persists, Fixture) {
  {
    auto tx = Transaction::begin(db);
    BOOST_TEST_REQUIRE(tx.has_value());
    BOOST_TEST_REQUIRE(insert("a").has_value());
    BOOST_TEST_REQUIRE(insert("b").has_value());
    BOOST_TEST_REQUIRE(tx->commit().has_value());
  }
  BOOST_TEST(count() == 2);
  // And another connection sees it.
  auto other = Database::open(file, Database::Mode::read_only);
  BOOST_TEST_REQUIRE(other.has_value());
  auto s = other->prepared("SELECT count(*) FROM t");
  BOOST_TEST_REQUIRE(s.has_value());
  BOOST_TEST_REQUIRE((*s)->step().value_or(false));
  BOOST_TEST((*s)->column_int(0) == 2);
}

BOOST_FIXTURE_TEST_CASE(commit_twice_is_an_error, Fixture) {
  auto tx = Transaction::begin(db);
  BOOST_TEST_REQUIRE(tx.has_value());
  BOOST_TEST_REQUIRE(tx->commit().has_value());
  auto again = tx->commit();
  BOOST_TEST_REQUIRE(!again.has_value());
  BOOST_TEST(again.error().kind == ErrorKind::internal);
}

BOOST_FIXTURE_TEST_CASE(moved_transaction_rolls_back_once_from_its_new_owner, Fixture) {
  {
    auto tx = Transaction::begin(db);
    BOOST_TEST_REQUIRE(tx.has_value());
    BOOST_TEST_REQUIRE(insert("a").has_value());
    Transaction moved(std::move(*tx));
    // The moved-from transaction has nothing to commit.
    BOOST_TEST(!tx->commit().has_value());  // NOLINT(bugprone-use-after-move)
    BOOST_TEST(count() == 1);
  }
  BOOST_TEST(count() == 0);
  // A moved transaction commits from its new owner.
  {
    auto tx = Transaction::begin(db);
    BOOST_TEST_REQUIRE(tx.has_value());
    BOOST_TEST_REQUIRE(insert("b").has_value());
    Transaction moved(std::move(*tx));
    BOOST_TEST_REQUIRE(moved.commit().has_value());
  }
  BOOST_TEST(count() == 1);
}

BOOST_FIXTURE_TEST_CASE(a_failed_statement_inside_a_transaction_leaves_it_usable, Fixture) {
  auto tx = Transaction::begin(db);
  BOOST_TEST_REQUIRE(tx.has_value());
  BOOST_TEST_REQUIRE(insert("a").has_value());
  BOOST_TEST(!insert("a").has_value());  // UNIQUE violation
  BOOST_TEST_REQUIRE(insert("b").has_value());
  BOOST_TEST_REQUIRE(tx->commit().has_value());
  BOOST_TEST(count() == 2);
}

BOOST_FIXTURE_TEST_CASE(nested_begin_fails, Fixture) {
  auto outer = Transaction::begin(db);
  BOOST_TEST_REQUIRE(outer.has_value());
  auto inner = Transaction::begin(db);
  BOOST_TEST(!inner.has_value());
}

// ---------------------------------------------------------------- error kinds

BOOST_FIXTURE_TEST_CASE(constraint_violations_are_invalid_argument, Fixture) {
  BOOST_TEST_REQUIRE(insert("a").has_value());
  auto dup = insert("a");
  BOOST_TEST_REQUIRE(!dup.has_value());
  BOOST_TEST(dup.error().kind == ErrorKind::invalid_argument);
  BOOST_TEST(dup.error().message.find("UNIQUE") != std::string::npos, dup.error().message);
  // The same through exec.
  auto via_exec = db.exec("INSERT INTO t (v) VALUES ('a')");
  BOOST_TEST_REQUIRE(!via_exec.has_value());
  BOOST_TEST(via_exec.error().kind == ErrorKind::invalid_argument);
  BOOST_TEST(via_exec.error().message.find("UNIQUE") != std::string::npos,
             via_exec.error().message);
  // A CHECK constraint.
  BOOST_TEST_REQUIRE(db.exec("CREATE TABLE p (x INTEGER CHECK (x > 0))").has_value());
  auto check = db.exec("INSERT INTO p VALUES (0)");
  BOOST_TEST_REQUIRE(!check.has_value());
  BOOST_TEST(check.error().kind == ErrorKind::invalid_argument);
}

BOOST_AUTO_TEST_CASE(a_file_that_is_not_a_database_is_data_loss) {
  TempDir dir;
  const fs::path junk = dir.path() / "junk.sqlite";
  {
    std::ofstream out(junk, std::ios::binary);
    for (int i = 0; i < 512; ++i) out << "this is not an SQLite database. ";
  }
  auto db = Database::open(junk, Database::Mode::read_write_create);
  BOOST_TEST_REQUIRE(db.has_value());  // SQLite reads the header lazily
  auto via_exec = db->exec("SELECT * FROM sqlite_master");
  BOOST_TEST_REQUIRE(!via_exec.has_value());
  BOOST_TEST(via_exec.error().kind == ErrorKind::data_loss, via_exec.error().message);
  auto via_prepare = db->prepared("SELECT * FROM sqlite_master");
  BOOST_TEST_REQUIRE(!via_prepare.has_value());
  BOOST_TEST(via_prepare.error().kind == ErrorKind::data_loss, via_prepare.error().message);
}

BOOST_AUTO_TEST_CASE(error_from_maps_result_codes_to_kinds) {
  using sqlite::error_from;
  BOOST_TEST(error_from(nullptr, SQLITE_BUSY, "x").kind == ErrorKind::unavailable);
  BOOST_TEST(error_from(nullptr, SQLITE_BUSY_SNAPSHOT, "x").kind == ErrorKind::unavailable);
  BOOST_TEST(error_from(nullptr, SQLITE_LOCKED, "x").kind == ErrorKind::unavailable);
  BOOST_TEST(error_from(nullptr, SQLITE_CANTOPEN, "x").kind == ErrorKind::not_found);
  BOOST_TEST(error_from(nullptr, SQLITE_CORRUPT, "x").kind == ErrorKind::data_loss);
  BOOST_TEST(error_from(nullptr, SQLITE_NOTADB, "x").kind == ErrorKind::data_loss);
  BOOST_TEST(error_from(nullptr, SQLITE_CONSTRAINT_UNIQUE, "x").kind ==
             ErrorKind::invalid_argument);
  BOOST_TEST(error_from(nullptr, SQLITE_MISMATCH, "x").kind == ErrorKind::invalid_argument);
  BOOST_TEST(error_from(nullptr, SQLITE_RANGE, "x").kind == ErrorKind::invalid_argument);
  BOOST_TEST(error_from(nullptr, SQLITE_IOERR, "x").kind == ErrorKind::internal);
  const Error e = error_from(nullptr, SQLITE_CANTOPEN, "open /x.sqlite");
  BOOST_TEST(e.message.starts_with("open /x.sqlite: "), e.message);
}
