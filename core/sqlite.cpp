#include "core/sqlite.hpp"

#include <sqlite3.h>

#include <utility>

namespace cctv::sqlite {

Error error_from(sqlite3* db, int code, std::string_view what) {
  ErrorKind kind = ErrorKind::internal;
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      kind = ErrorKind::unavailable;
      break;
    case SQLITE_CANTOPEN:
    case SQLITE_NOTFOUND:
      kind = ErrorKind::not_found;
      break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      kind = ErrorKind::data_loss;
      break;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
      kind = ErrorKind::invalid_argument;
      break;
    default:
      break;
  }
  const char* detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  return Error{kind, std::string(what) + ": " + detail};
}

Statement::Statement(Statement&& other) noexcept
    : m_db(std::exchange(other.m_db, nullptr)), m_stmt(std::exchange(other.m_stmt, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(m_stmt);
    m_db = std::exchange(other.m_db, nullptr);
    m_stmt = std::exchange(other.m_stmt, nullptr);
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(m_stmt); }

Statement& Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(m_stmt, index, value);
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  sqlite3_bind_text64(m_stmt, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}

Statement& Statement::bind(int index, double value) {
  sqlite3_bind_double(m_stmt, index, value);
  return *this;
}

Result<bool> Statement::step() {
  const int rc = sqlite3_step(m_stmt);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return std::unexpected(error_from(m_db, rc, sqlite3_sql(m_stmt)));
}

Result<void> Statement::run() {
  for (;;) {
    auto more = step();
    if (!more) return std::unexpected(more.error());
    if (!*more) return {};
  }
}

void Statement::reset() {
  sqlite3_reset(m_stmt);
  sqlite3_clear_bindings(m_stmt);
}

std::int64_t Statement::column_int(int index) const { return sqlite3_column_int64(m_stmt, index); }

double Statement::column_double(int index) const { return sqlite3_column_double(m_stmt, index); }

std::string Statement::column_text(int index) const {
  const auto* text = sqlite3_column_text(m_stmt, index);
  const int size = sqlite3_column_bytes(m_stmt, index);
  return text == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(text), size);
}

bool Statement::column_is_null(int index) const {
  return sqlite3_column_type(m_stmt, index) == SQLITE_NULL;
}

Result<Database> Database::open(const std::filesystem::path& path, Mode mode) {
  sqlite3* db = nullptr;
  const int flags = (mode == Mode::read_only ? SQLITE_OPEN_READONLY
                                             : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                    SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  Database result(db, path.string());  // owns db even when opening failed
  if (rc != SQLITE_OK) {
    return std::unexpected(error_from(db, rc, "open " + path.string()));
  }
  sqlite3_extended_result_codes(db, 1);
  if (sqlite3_busy_timeout(db, 5000) != SQLITE_OK) {
    return std::unexpected(error_from(db, SQLITE_ERROR, "busy_timeout"));
  }
  return result;
}

Database::Database(Database&& other) noexcept
    : m_db(std::exchange(other.m_db, nullptr)),
      m_path(std::move(other.m_path)),
      m_statements(std::move(other.m_statements)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    close();
    m_db = std::exchange(other.m_db, nullptr);
    m_path = std::move(other.m_path);
    m_statements = std::move(other.m_statements);
  }
  return *this;
}

Database::~Database() { close(); }

void Database::close() {
  m_statements.clear();  // statements must be finalized before the connection
  if (m_db != nullptr) sqlite3_close_v2(m_db);
  m_db = nullptr;
}

Result<void> Database::exec(std::string_view sql) {
  char* message = nullptr;
  const std::string text(sql);
  const int rc = sqlite3_exec(m_db, text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string detail = message != nullptr ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    return fail(error_from(nullptr, rc, "").kind, "sqlite: " + detail);
  }
  return {};
}

Result<Statement*> Database::prepared(std::string_view sql) {
  if (auto it = m_statements.find(sql); it != m_statements.end()) {
    it->second->reset();
    return it->second.get();
  }
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(m_db, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return std::unexpected(error_from(m_db, rc, "prepare " + std::string(sql)));
  }
  auto owned = std::make_unique<Statement>(m_db, stmt);
  Statement* raw = owned.get();
  m_statements.emplace(std::string(sql), std::move(owned));
  return raw;
}

std::int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(m_db); }

int Database::changes() const { return sqlite3_changes(m_db); }

Result<Transaction> Transaction::begin(Database& db) {
  if (auto r = db.exec("BEGIN IMMEDIATE"); !r) return std::unexpected(r.error());
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (m_db != nullptr) (void)m_db->exec("ROLLBACK");
}

Result<void> Transaction::commit() {
  Database* db = std::exchange(m_db, nullptr);
  if (db == nullptr) return fail(ErrorKind::internal, "commit of a finished transaction");
  auto result = db->exec("COMMIT");
  if (!result) (void)db->exec("ROLLBACK");
  return result;
}

}  // namespace cctv::sqlite
