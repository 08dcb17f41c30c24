#include "store/pg_connection.hpp"
#include "store/pg_queries.hpp"

#include <algorithm>
#include <utility>

namespace herald::store::queries {

using notify::StoreErrc;
using notify::StoreError;

namespace {

Result<std::vector<std::string>> departments_of(PgConnection& c, std::int64_t user_key) {
  auto r = c.query("SELECT department FROM user_departments WHERE user_key = $1 ORDER BY department",
                   PgParams().add(user_key));
  if (!r) return r.error();
  std::vector<std::string> out;
  for (int i = 0; i < r->rows(); ++i)
    out.push_back(r->text(i, 0));
  return out;
}

Result<void> insert_departments(PgConnection& c, std::int64_t user_key,
                                const std::vector<std::string>& depts) {
  if (depts.empty()) return {};
  auto r = c.query("INSERT INTO user_departments (department, user_key) "
                   "SELECT unnest($1::text[]), $2::bigint ON CONFLICT DO NOTHING",
                   PgParams().add(pg_text_array(depts)).add(user_key));
  if (!r) return r.error();
  return {};
}

Result<void> replace_departments(PgConnection& c, std::int64_t user_key,
                                 const std::vector<std::string>& depts) {
  if (auto r = c.query("DELETE FROM user_departments WHERE user_key = $1", PgParams().add(user_key)); !r)
    return r.error();
  return insert_departments(c, user_key, depts);
}

// The users row of `user_id`, its key first; not_found if there is none.
Result<std::pair<std::int64_t, notify::User>> read_user(PgConnection& c, const std::string& user_id) {
  // No stored id holds a NUL byte: such an id names nobody.
  if (user_id.find('\0') != std::string::npos) return StoreError{StoreErrc::not_found, "no such user"};
  auto r =
      c.query("SELECT key, id, username, display_name FROM users WHERE id = $1", PgParams().add(user_id));
  if (!r) return r.error();
  if (r->rows() == 0) return StoreError{StoreErrc::not_found, "no such user"};
  return std::pair{r->int64(0, 0), notify::User{r->text(0, 1), r->text(0, 2), r->text(0, 3), {}}};
}

Result<notify::User> with_departments(PgConnection& c, std::int64_t user_key, notify::User user) {
  auto depts = departments_of(c, user_key);
  if (!depts) return depts.error();
  user.departments = std::move(depts).value();
  return user;
}

} // namespace

Result<notify::UpsertUserResult> upsert_user(PgConnection& c, const notify::UserUpdate& update) {
  if (update.id.empty()) return StoreError{StoreErrc::invalid, "user id is empty"};
  // ON CONFLICT: another node may create the same user at the same moment; the insert
  // then waits for it and does nothing, and the update below merges into its row.
  auto ins = c.query(
      "INSERT INTO users (id, username, display_name) VALUES ($1, $2, $3) "
      "ON CONFLICT (id) DO NOTHING RETURNING key",
      PgParams().add(update.id).add(update.username.value_or("")).add(update.display_name.value_or("")));
  if (!ins) return ins.error();
  if (ins->rows() == 1) {
    // A new user: what was just written is the whole row.
    if (update.departments) {
      if (auto r = insert_departments(c, ins->int64(0, 0), *update.departments); !r) return r.error();
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
    PgParams params;
    params.add(update.id);
    if (update.username) {
      params.add(*update.username);
    } else {
      params.add_null();
    }
    if (update.display_name) {
      params.add(*update.display_name);
    } else {
      params.add_null();
    }
    auto upd = c.query("UPDATE users SET username = COALESCE($2, username), "
                       "display_name = COALESCE($3, display_name) WHERE id = $1",
                       params);
    if (!upd) return upd.error();
  }
  auto row = read_user(c, update.id);
  if (!row) return row.error();
  auto [key, stored] = std::move(row).value();
  if (update.departments) {
    if (auto r = replace_departments(c, key, *update.departments); !r) return r.error();
  }
  auto user = with_departments(c, key, std::move(stored));
  if (!user) return user.error();
  return notify::UpsertUserResult{std::move(user).value(), false};
}

Result<notify::User> get_user(PgConnection& c, const std::string& user_id) {
  auto row = read_user(c, user_id);
  if (!row) return row.error();
  auto [key, user] = std::move(row).value();
  return with_departments(c, key, std::move(user));
}

Result<std::vector<notify::NotificationType>> list_types(PgConnection& c) {
  auto r = c.query("SELECT id, name, icon, color FROM notification_types ORDER BY id");
  if (!r) return r.error();
  std::vector<notify::NotificationType> out;
  for (int i = 0; i < r->rows(); ++i)
    out.push_back({r->text(i, 0), r->text(i, 1), r->text(i, 2), r->text(i, 3)});
  return out;
}

Result<notify::NotificationType> create_type(PgConnection& c, const notify::NotificationType& type) {
  if (type.id.empty() || type.name.empty())
    return StoreError{StoreErrc::invalid, "type id and name are required"};
  auto r = c.query("INSERT INTO notification_types (id, name, icon, color) VALUES ($1, $2, $3, $4) "
                   "ON CONFLICT (id) DO NOTHING",
                   PgParams().add(type.id).add(type.name).add(type.icon).add(type.color));
  if (!r) return r.error();
  if (r->affected() == 0) return StoreError{StoreErrc::conflict, "notification type exists"};
  return type;
}

Result<notify::NotificationType> get_type(PgConnection& c, const std::string& type_id) {
  if (type_id.find('\0') != std::string::npos)
    return StoreError{StoreErrc::not_found, "no such notification type"};
  auto r =
      c.query("SELECT id, name, icon, color FROM notification_types WHERE id = $1", PgParams().add(type_id));
  if (!r) return r.error();
  if (r->rows() == 0) return StoreError{StoreErrc::not_found, "no such notification type"};
  return notify::NotificationType{r->text(0, 0), r->text(0, 1), r->text(0, 2), r->text(0, 3)};
}

} // namespace herald::store::queries
