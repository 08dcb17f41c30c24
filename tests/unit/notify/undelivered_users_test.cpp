#include "notify/undelivered_users.hpp"

#include <gtest/gtest.h>

namespace herald::notify {
namespace {

TEST(UndeliveredUsers, EveryoneMayHaveSomeUntilTheStoreWasAsked) {
  UndeliveredUsers u;
  EXPECT_TRUE(u.may_have("anyone"));
  u.clear("anyone", u.generation()); // nothing to clear: still unknown
  EXPECT_TRUE(u.may_have("anyone"));
  u.load({"a"});
  EXPECT_TRUE(u.may_have("a"));
  EXPECT_FALSE(u.may_have("anyone"));
}

TEST(UndeliveredUsers, NewRecordsMarkTheirUsers) {
  UndeliveredUsers u;
  u.load({});
  const std::vector<std::pair<std::string, int>> records = {{"b", 1}, {"c", 2}};
  u.mark_all(records, [](const auto& r) -> const std::string& { return r.first; });
  EXPECT_TRUE(u.may_have("b"));
  EXPECT_TRUE(u.may_have("c"));
  u.mark_all(std::vector<std::string>{"d"},
             [](const std::string& user) -> const std::string& { return user; });
  EXPECT_TRUE(u.may_have("d"));
}

TEST(UndeliveredUsers, AnEmptyAnswerClearsUnlessANewerRecordCameMeanwhile) {
  UndeliveredUsers u;
  u.load({"a", "b"});
  const auto asked = u.generation();
  // Created while the query ran: the query may not have seen it.
  u.mark_all(std::vector<std::string>{"b"},
             [](const std::string& user) -> const std::string& { return user; });
  u.clear("a", asked);
  u.clear("b", asked);
  EXPECT_FALSE(u.may_have("a"));
  EXPECT_TRUE(u.may_have("b"));
  u.clear("b", u.generation());
  EXPECT_FALSE(u.may_have("b"));
}

} // namespace
} // namespace herald::notify
