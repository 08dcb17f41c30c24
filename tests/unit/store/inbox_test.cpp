#include "store_fixture.hpp"

#include <set>

namespace herald::store::test {
namespace {

using notify::InboxPage;
using notify::InboxQuery;
using notify::ReadChange;
using notify::StoreErrc;

class Inbox : public StoreTest {
protected:
  Result<InboxPage> page(InboxQuery q) {
    return call<InboxPage>([&](auto cb) { repo_->list_inbox(std::move(q), cb); });
  }
  Result<ReadChange> read(const std::string& user, const std::string& rid) {
    return call<ReadChange>([&](auto cb) { repo_->mark_read(user, rid, clock_.wall_now(), cb); });
  }
  Result<ReadChange> unread_it(const std::string& user, const std::string& rid) {
    return call<ReadChange>([&](auto cb) { repo_->mark_unread(user, rid, cb); });
  }
  // Walks every page of `filter` with `limit`, checking each page's invariants.
  std::vector<std::string> walk(const std::string& user, std::optional<bool> filter, int limit,
                                const std::function<void()>& between_pages = {}) {
    std::vector<std::string> seen;
    std::optional<std::string> cursor;
    for (int guard = 0; guard < 1000; ++guard) {
      auto p = page({user, filter, limit, cursor});
      EXPECT_TRUE(p) << p.error().message;
      if (!p) break;
      EXPECT_LE(p->items.size(), static_cast<std::size_t>(limit));
      for (const auto& item : p->items) {
        seen.push_back(item.recipient.recipient_id);
        EXPECT_EQ(item.recipient.user_id, user);
        if (filter) {
          EXPECT_EQ(!item.recipient.read_at.has_value(), *filter);
        }
      }
      if (!p->next_cursor) break;
      EXPECT_EQ(p->items.size(), static_cast<std::size_t>(limit)); // only the last page is short
      cursor = p->next_cursor;
      if (between_pages) between_pages();
    }
    return seen;
  }
};

TEST_P(Inbox, PaginatesThreeHundredWithoutGapsOrRepeats) {
  // Groups of three share a created_at, so the id must break ties.
  std::vector<std::string> ids; // oldest first
  for (int i = 0; i < 300; ++i) {
    auto c = send({"u"}, "n" + std::to_string(i));
    if (i % 3 != 2) clock_.advance(std::chrono::seconds(-1));
    ids.push_back(c.recipients.at(0).recipient_id);
  }
  send({"other"}); // someone else's inbox never shows up
  std::vector<std::string> newest_first(ids.rbegin(), ids.rend());
  std::vector<std::string> expected_unread, expected_read;
  for (std::size_t i = 0; i < newest_first.size(); ++i) {
    if (i % 4 == 0) {
      ASSERT_TRUE(read("u", newest_first[i]));
      expected_read.push_back(newest_first[i]);
    } else {
      expected_unread.push_back(newest_first[i]);
    }
  }
  for (int limit : {1, 7, 20, 100, 300, 1000}) {
    SCOPED_TRACE(limit);
    EXPECT_EQ(walk("u", std::nullopt, limit), newest_first);
    EXPECT_EQ(walk("u", true, limit), expected_unread);
    EXPECT_EQ(walk("u", false, limit), expected_read);
  }
  auto first = page({"u", std::nullopt, 20, std::nullopt});
  ASSERT_TRUE(first);
  EXPECT_EQ(first->unread_count, 225);
  EXPECT_EQ(first->items.front().notification.title, "n299");
}

TEST_P(Inbox, StableUnderInsertsAndReadsBetweenPages) {
  std::vector<std::string> ids;
  for (int i = 0; i < 50; ++i)
    ids.push_back(send({"u"}).recipients.at(0).recipient_id);
  std::vector<std::string> newest_first(ids.rbegin(), ids.rend());
  // New notifications arrive while the client pages: they belong before the first page.
  EXPECT_EQ(walk("u", std::nullopt, 9, [&] { send({"u"}); }), newest_first);
  // Reading items while paging the unread filter loses none of the later ones.
  std::vector<std::string> seen = walk("u", true, 5, [&] {
    auto p = page({"u", true, 1, std::nullopt});
    ASSERT_TRUE(p);
    ASSERT_TRUE(read("u", p->items.at(0).recipient.recipient_id)); // the newest unread
  });
  std::set<std::string> unique(seen.begin(), seen.end());
  EXPECT_EQ(unique.size(), seen.size());
  for (const auto& id : ids) {
    if (!unique.count(id)) {
      auto p = page({"u", false, 1000, std::nullopt}); // then it was read meanwhile
      bool found = false;
      for (const auto& item : p->items)
        found |= item.recipient.recipient_id == id;
      EXPECT_TRUE(found) << id;
    }
  }
}

TEST_P(Inbox, EmptyInboxAndBadCursor) {
  auto p = page({"ghost", std::nullopt, 20, std::nullopt});
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->items.empty());
  EXPECT_FALSE(p->next_cursor);
  EXPECT_EQ(p->unread_count, 0);
  for (std::string bad : {"garbage!", "MTIz", "eDp5"}) { // not base64; "123"; "x:y"
    auto r = page({"ghost", std::nullopt, 20, bad});
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, StoreErrc::invalid);
  }
  EXPECT_TRUE(page({"ghost", std::nullopt, 20, std::string()})); // empty means the first page
}

TEST_P(Inbox, ItemsCarryTheWholePayload) {
  auto c = send({"u"}, "hello");
  auto p = page({"u", std::nullopt, 20, std::nullopt});
  ASSERT_TRUE(p);
  ASSERT_EQ(p->items.size(), 1u);
  const auto& item = p->items[0];
  EXPECT_EQ(item.notification, c.notification);
  EXPECT_EQ(item.recipient.recipient_id, c.recipients[0].recipient_id);
  EXPECT_EQ(item.recipient.notification_id, c.notification.id);
  EXPECT_EQ(item.recipient.delivery_status, notify::DeliveryStatus::pending);
  EXPECT_EQ(item.recipient.attempts, 0);
  EXPECT_FALSE(item.recipient.read_at);
  EXPECT_FALSE(item.recipient.delivered_at);
}

TEST_P(Inbox, ReadAndUnreadReportChanges) {
  auto c = send({"u"});
  const std::string rid = c.recipients[0].recipient_id;
  EXPECT_EQ(unread("u"), 1);
  const auto first_read_at = clock_.wall_now();
  auto r = read("u", rid);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->changed);
  EXPECT_EQ(r->notification_id, c.notification.id);
  EXPECT_EQ(r->read_at, first_read_at);
  EXPECT_EQ(unread("u"), 0);

  clock_.advance(std::chrono::minutes(5));
  r = read("u", rid);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->changed);
  EXPECT_EQ(r->read_at, first_read_at); // the first read time stays

  auto u = unread_it("u", rid);
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->changed);
  EXPECT_EQ(u->notification_id, c.notification.id);
  EXPECT_FALSE(u->read_at);
  EXPECT_EQ(unread("u"), 1);
  u = unread_it("u", rid);
  ASSERT_TRUE(u);
  EXPECT_FALSE(u->changed);
}

TEST_P(Inbox, ReadAllCountsOnlyUnread) {
  std::vector<std::string> rids;
  for (int i = 0; i < 6; ++i)
    rids.push_back(send({"u", "v"}).recipients[0].recipient_id);
  ASSERT_TRUE(read("u", rids[0]));
  ASSERT_TRUE(read("u", rids[1]));
  auto n = call<std::int64_t>([&](auto cb) { repo_->mark_all_read("u", clock_.wall_now(), cb); });
  ASSERT_TRUE(n);
  EXPECT_EQ(n.value(), 4);
  EXPECT_EQ(unread("u"), 0);
  EXPECT_EQ(unread("v"), 6); // another user's inbox is untouched
  n = call<std::int64_t>([&](auto cb) { repo_->mark_all_read("u", clock_.wall_now(), cb); });
  EXPECT_EQ(n.value(), 0);
}

TEST_P(Inbox, AnotherUsersRecordIsNotFoundEverywhere) {
  auto c = send({"owner"});
  const std::string rid = c.recipients[0].recipient_id;
  for (const std::string& id : {rid, std::string("999999"), std::string("abc"), std::string("-1"),
                                std::string("0"), std::string("01"), std::string(" 1"), std::string("")}) {
    SCOPED_TRACE(id);
    EXPECT_EQ(read("intruder", id).error().code, StoreErrc::not_found);
    EXPECT_EQ(unread_it("intruder", id).error().code, StoreErrc::not_found);
    auto ack = call<void>([&](auto cb) { repo_->acknowledge("intruder", id, clock_.wall_now(), cb); });
    ASSERT_FALSE(ack);
    EXPECT_EQ(ack.error().code, StoreErrc::not_found);
  }
  // And nothing changed for the owner.
  auto p = page({"owner", std::nullopt, 20, std::nullopt});
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->items.at(0).recipient.read_at);
  EXPECT_EQ(p->items.at(0).recipient.delivery_status, notify::DeliveryStatus::pending);
}

INSTANTIATE_TEST_SUITE_P(Backings, Inbox, all_backings(), backing_name);

} // namespace
} // namespace herald::store::test
