#include "store/codec.hpp"
#include "store/connection.hpp"
#include "store/queries.hpp"

#include <algorithm>
#include <utility>

namespace herald::store::queries {

using notify::StoreErrc;
using notify::StoreError;

namespace {

// Memberships name their user by users.key (schema v3): the department fan-out then reads
// the keys straight from the primary key, with no lookup in users per member.
Result<std::vector<std::string>> departments_of(Connection& c, std::int64_t user_key) {
  // user_departments_by_user holds (user_key, department): read in order, no sort.
  auto st = c.prepare("SELECT department FROM user_departments WHERE user_key = ?1 ORDER BY department");
  if (!st) return st.error();
  st->bind(1, user_key);
  std::vector<std::string> out;
  int rc;
  while ((rc = st->step()) == SQLITE_ROW)
    out.push_back(st->text(0));
  if (rc != SQLITE_DONE) return c.error(rc, "read departments");
  return out;
}

Result<void> insert_departments(Connection& c, std::int64_t user_key, const std::vector<std::string>& depts) {
  auto ins = c.prepare("INSERT OR IGNORE INTO user_departments (department, user_key) VALUES (?1, ?2)");
  if (!ins) return ins.error();
  for (const auto& d : depts) {
    ins->bind(1, d);
    ins->bind(2, user_key);
    if (const int rc = ins->step(); rc != SQLITE_DONE) return c.error(rc, "insert department");
    ins->reset();
  }
  return {};
}

Result<void> replace_departments(Connection& c, std::int64_t user_key,
                                 const std::vector<std::string>& depts) {
  auto del = c.prepare("DELETE FROM user_departments WHERE user_key = ?1");
  if (!del) return del.error();
  del->bind(1, user_key);
  if (const int rc = del->step(); rc != SQLITE_DONE) return c.error(rc, "clear departments");
  return insert_departments(c, user_key, depts);
}

// The users row of `user_id`, its key first; not_found if there is none.
Result<std::pair<std::int64_t, notify::User>> read_user(Connection& c, const std::string& user_id) {
  auto st = c.prepare("SELECT key, id, username, display_name FROM users WHERE id = ?1");
  if (!st) return st.error();
  st->bind(1, user_id);
  const int rc = st->step();
  if (rc == SQLITE_DONE) return StoreError{StoreErrc::not_found, "no such user"};
  if (rc != SQLITE_ROW) return c.error(rc, "get user");
  return std::pair{st->int64(0), notify::User{st->text(1), st->text(2), st->text(3), {}}};
}

Result<notify::User> with_departments(Connection& c, std::int64_t user_key, notify::User user) {
  auto depts = departments_of(c, user_key);
  if (!depts) return depts.error();
  user.departments = std::move(depts).value();
  return user;
}

} // namespace

Result<notify::UpsertUserResult> upsert_user(Connection& c, const notify::UserUpdate& update) {
  if (update.id.empty()) return StoreError{StoreErrc::invalid, "user id is empty"};
  auto ins = c.prepare("INSERT OR IGNORE INTO users (id, username, display_name) VALUES (?1, ?2, ?3)");
  if (!ins) return ins.error();
  ins->bind(1, update.id);
  ins->bind(2, update.username.value_or(""));
  ins->bind(3, update.display_name.value_or(""));
  if (const int rc = ins->step(); rc != SQLITE_DONE) return c.error(rc, "insert user");
  const bool created = c.changes() > 0;
  if (created) {
    // A new user (every first connect of a user fills the directory): what was just
    // written is the whole row, so it is answered without reading it back. Its key is
    // the rowid just inserted (users.key is the rowid).
    if (update.departments) {
      if (auto r = insert_departments(c, c.last_insert_rowid(), *update.departments); !r) return r.error();
    }
    notify::User user{update.id, update.username.value_or(""), update.display_name.value_or(""),
                      update.departments.value_or(std::vector<std::string>{})};
    std::sort(user.departments.begin(), user.departments.end());
    user.departments.erase(std::unique(user.departments.begin(), user.departments.end()),
                           user.departments.end());
    return notify::UpsertUserResult{std::move(user), true};
  }
  if (update.username || update.display_name) {
    // COALESCE keeps the stored value of a field the update leaves out.
    auto upd = c.prepare("UPDATE users SET username = COALESCE(?2, username), "
                         "display_name = COALESCE(?3, display_name) WHERE id = ?1");
    if (!upd) return upd.error();
    upd->bind(1, update.id);
    if (update.username) upd->bind(2, *update.username);
    if (update.display_name) upd->bind(3, *update.display_name);
    if (const int rc = upd->step(); rc != SQLITE_DONE) return c.error(rc, "update user");
  }
  auto row = read_user(c, update.id);
  if (!row) return row.error();
  auto [key, stored] = std::move(row).value();
  if (update.departments) {
    if (auto r = replace_departments(c, key, *update.departments); !r) return r.error();
  }
  auto user = with_departments(c, key, std::move(stored));
  if (!user) return user.error();
  return notify::UpsertUserResult{std::move(user).value(), created};
}

Result<notify::User> get_user(Connection& c, const std::string& user_id) {
  auto row = read_user(c, user_id);
  if (!row) return row.error();
  auto [key, user] = std::move(row).value();
  return with_departments(c, key, std::move(user));
}

Result<std::vector<notify::NotificationType>> list_types(Connection& c) {
  auto st = c.prepare("SELECT id, name, icon, color FROM notification_types ORDER BY id");
  if (!st) return st.error();
  std::vector<notify::NotificationType> out;
  int rc;
  while ((rc = st->step()) == SQLITE_ROW)
    out.push_back({st->text(0), st->text(1), st->text(2), st->text(3)});
  if (rc != SQLITE_DONE) return c.error(rc, "list types");
  return out;
}

Result<notify::NotificationType> create_type(Connection& c, const notify::NotificationType& type) {
  if (type.id.empty() || type.name.empty())
    return StoreError{StoreErrc::invalid, "type id and name are required"};
  auto st =
      c.prepare("INSERT OR IGNORE INTO notification_types (id, name, icon, color) VALUES (?1, ?2, ?3, ?4)");
  if (!st) return st.error();
  st->bind(1, type.id);
  st->bind(2, type.name);
  st->bind(3, type.icon);
  st->bind(4, type.color);
  if (const int rc = st->step(); rc != SQLITE_DONE) return c.error(rc, "create type");
  if (c.changes() == 0) return StoreError{StoreErrc::conflict, "notification type exists"};
  return type;
}

Result<notify::NotificationType> get_type(Connection& c, const std::string& type_id) {
  auto st = c.prepare("SELECT id, name, icon, color FROM notification_types WHERE id = ?1");
  if (!st) return st.error();
  st->bind(1, type_id);
  const int rc = st->step();
  if (rc == SQLITE_DONE) return StoreError{StoreErrc::not_found, "no such notification type"};
  if (rc != SQLITE_ROW) return c.error(rc, "get type");
  return notify::NotificationType{st->text(0), st->text(1), st->text(2), st->text(3)};
}

} // namespace herald::store::queries
