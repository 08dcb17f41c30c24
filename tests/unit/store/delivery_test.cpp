#include "store_fixture.hpp"

namespace herald::store::test {
namespace {

using notify::DeliveryStatus;
using notify::InboxItem;
using notify::StoreErrc;
using std::chrono::seconds;

class Delivery : public StoreTest {
protected:
  Result<void> ack(const std::string& user, const std::string& rid) {
    return call<void>([&](auto cb) { repo_->acknowledge(user, rid, clock_.wall_now(), cb); });
  }
  Result<bool> update(const std::string& rid, DeliveryStatus s, std::optional<core::WallTime> next) {
    return call<bool>([&](auto cb) { repo_->update_delivery(rid, s, next, cb); });
  }
  Result<std::int64_t> sent(std::vector<std::string> rids, core::WallTime deadline) {
    return call<std::int64_t>([&](auto cb) { repo_->record_sent(std::move(rids), deadline, cb); });
  }
  std::vector<InboxItem> due(core::WallTime now, int limit = 100) {
    auto r = call<std::vector<InboxItem>>([&](auto cb) { repo_->due_deliveries(now, limit, cb); });
    EXPECT_TRUE(r) << r.error().message;
    return r ? std::move(r).value() : std::vector<InboxItem>{};
  }
  std::vector<InboxItem> undelivered(const std::string& user, int limit = 100) {
    auto r = call<std::vector<InboxItem>>([&](auto cb) { repo_->undelivered_for_user(user, limit, cb); });
    EXPECT_TRUE(r);
    return r ? std::move(r).value() : std::vector<InboxItem>{};
  }
  notify::Recipient record(const std::string& user, const std::string& rid) {
    auto p = call<notify::InboxPage>([&](auto cb) {
      repo_->list_inbox({user, std::nullopt, 1000, std::nullopt}, cb);
    });
    for (const auto& item : p->items) {
      if (item.recipient.recipient_id == rid) return item.recipient;
    }
    ADD_FAILURE() << "no record " << rid;
    return {};
  }
  static std::vector<std::string> ids(const std::vector<InboxItem>& items) {
    std::vector<std::string> out;
    for (const auto& i : items)
      out.push_back(i.recipient.recipient_id);
    return out;
  }
};

TEST_P(Delivery, AcknowledgeIsIdempotentAndKeepsTheFirstTime) {
  const auto rid = send({"u"}).recipients[0].recipient_id;
  const auto t1 = clock_.wall_now();
  ASSERT_TRUE(ack("u", rid));
  clock_.advance(seconds(30));
  ASSERT_TRUE(ack("u", rid));
  const auto r = record("u", rid);
  EXPECT_EQ(r.delivery_status, DeliveryStatus::delivered);
  EXPECT_EQ(r.delivered_at, t1);
  EXPECT_FALSE(r.next_attempt_at);
}

// Receipts queued together reach the writer as one run (one statement): each still gets
// its own outcome, exactly as one by one.
TEST_P(Delivery, ReceiptsInOneBatchEachGetTheirOutcome) {
  // PostgreSQL text holds no NUL byte (pg_test.cpp checks that such ids are refused): there
  // a control character stands in for it.
  const std::string nul =
      GetParam() == Backing::postgres ? std::string("nul\1id") : std::string("nul\0id", 6);
  const auto n = send({"u1", "u2", "we\"ird\\id\n", nul});
  const auto r1 = n.recipients[0].recipient_id, r2 = n.recipients[1].recipient_id;
  const auto r3 = n.recipients[2].recipient_id, r4 = n.recipients[3].recipient_id;
  const auto t1 = clock_.wall_now();
  ASSERT_TRUE(ack("u2", r2)); // delivered before: stays delivered with its first time
  clock_.advance(seconds(5));
  std::vector<std::pair<std::string, std::string>> acks = {
      {"u1", r1}, {"u1", r1}, {"u2", r1}, {"u2", r2}, {"u1", "999999"}, {"u1", "x"}, {"we\"ird\\id\n", r3},
      {nul, r4},  {"nul", r4}};
  std::vector<std::promise<Result<void>>> results(acks.size());
  {
    WriterGate gate(*repo_);
    for (std::size_t i = 0; i < acks.size(); ++i) {
      repo_->acknowledge(acks[i].first, acks[i].second, clock_.wall_now(),
                         [&, i](Result<void> r) { results[i].set_value(std::move(r)); });
    }
  }
  std::vector<bool> ok;
  for (auto& p : results) {
    auto r = p.get_future().get();
    if (!r) {
      EXPECT_EQ(r.error().code, StoreErrc::not_found) << r.error().message;
    }
    ok.push_back(r.ok());
  }
  EXPECT_EQ(ok, (std::vector<bool>{true, true, false, true, false, false, true, true, false}));
  EXPECT_EQ(record("u1", r1).delivery_status, DeliveryStatus::delivered);
  EXPECT_EQ(record("u1", r1).delivered_at, clock_.wall_now());
  EXPECT_EQ(record("u2", r2).delivered_at, t1);
  EXPECT_EQ(record("we\"ird\\id\n", r3).delivery_status, DeliveryStatus::delivered);
  EXPECT_EQ(record(nul, r4).delivery_status, DeliveryStatus::delivered);
  EXPECT_TRUE(undelivered("u1").empty());
}

TEST_P(Delivery, AcknowledgeFromEveryState) {
  for (auto from : {DeliveryStatus::pending, DeliveryStatus::failed, DeliveryStatus::permanent_failure}) {
    SCOPED_TRACE(to_string(from));
    const auto rid = send({"u"}).recipients[0].recipient_id;
    ASSERT_TRUE(update(rid, from, clock_.wall_now() + seconds(60)));
    EXPECT_EQ(record("u", rid).delivery_status, from);
    ASSERT_TRUE(ack("u", rid));
    EXPECT_EQ(record("u", rid).delivery_status, DeliveryStatus::delivered);
  }
}

TEST_P(Delivery, ReadStateNeverChangesDeliveryStatus) {
  const auto rid = send({"u"}).recipients[0].recipient_id;
  ASSERT_TRUE(call<notify::ReadChange>([&](auto cb) { repo_->mark_read("u", rid, clock_.wall_now(), cb); }));
  EXPECT_EQ(record("u", rid).delivery_status, DeliveryStatus::pending);
  ASSERT_TRUE(ack("u", rid));
  ASSERT_TRUE(call<notify::ReadChange>([&](auto cb) { repo_->mark_unread("u", rid, cb); }));
  EXPECT_EQ(record("u", rid).delivery_status, DeliveryStatus::delivered);
}

TEST_P(Delivery, RecordSentCountsAttemptsAndSkipsDelivered) {
  auto c = send({"a", "b", "c"});
  const auto deadline = clock_.wall_now() + seconds(30);
  ASSERT_TRUE(ack("c", c.recipients[2].recipient_id));
  auto n = sent({c.recipients[0].recipient_id, c.recipients[1].recipient_id, c.recipients[2].recipient_id,
                 "999999", "junk"},
                deadline);
  ASSERT_TRUE(n);
  EXPECT_EQ(n.value(), 2);
  auto a = record("a", c.recipients[0].recipient_id);
  EXPECT_EQ(a.attempts, 1);
  EXPECT_EQ(a.delivery_status, DeliveryStatus::pending);
  EXPECT_EQ(a.next_attempt_at, deadline);
  EXPECT_EQ(record("c", c.recipients[2].recipient_id).attempts, 0);
  // A retry after a miss: failed -> sent again -> pending with the new deadline.
  ASSERT_TRUE(update(c.recipients[0].recipient_id, DeliveryStatus::failed, deadline + seconds(60)));
  ASSERT_TRUE(sent({c.recipients[0].recipient_id}, deadline + seconds(90)));
  a = record("a", c.recipients[0].recipient_id);
  EXPECT_EQ(a.attempts, 2);
  EXPECT_EQ(a.delivery_status, DeliveryStatus::pending);
  EXPECT_EQ(a.next_attempt_at, deadline + seconds(90));
}

TEST_P(Delivery, DueDeliveriesInDueOrderWithLimit) {
  const auto t0 = clock_.wall_now();
  std::vector<std::string> r;
  for (int i = 0; i < 6; ++i)
    r.push_back(send({"u" + std::to_string(i)}).recipients[0].recipient_id);
  EXPECT_TRUE(due(t0 + seconds(1000)).empty()); // never sent, no deadline: not due
  ASSERT_TRUE(sent({r[0]}, t0 + seconds(50)));
  ASSERT_TRUE(sent({r[1]}, t0 + seconds(10)));
  ASSERT_TRUE(sent({r[2], r[3]}, t0 + seconds(30)));
  ASSERT_TRUE(update(r[3], DeliveryStatus::failed, t0 + seconds(20)));
  ASSERT_TRUE(sent({r[4]}, t0 + seconds(5)));
  ASSERT_TRUE(ack("u4", r[4]));                                               // delivered: never due
  ASSERT_TRUE(update(r[5], DeliveryStatus::permanent_failure, std::nullopt)); // settled: never due

  EXPECT_EQ(ids(due(t0 + seconds(9))), std::vector<std::string>{});
  if (GetParam() == Backing::postgres) {
    // A shared store claims what it answers (pg_delivery_queries.cpp): a second call does
    // not answer the same records until the lease (PgOptions::claim_lease) ran out.
    EXPECT_EQ(ids(due(t0 + seconds(100), 2)), (std::vector<std::string>{r[1], r[3]}));
    EXPECT_EQ(ids(due(t0 + seconds(100))), (std::vector<std::string>{r[2], r[0]}));
    EXPECT_TRUE(due(t0 + seconds(159)).empty());
    // All four claimed until t0 + 160 s: due again together, in id order.
    auto items = due(t0 + seconds(160));
    EXPECT_EQ(ids(items), (std::vector<std::string>{r[0], r[1], r[2], r[3]}));
    ASSERT_EQ(items.size(), 4u);
    EXPECT_EQ(items[1].recipient.user_id, "u1");
    EXPECT_EQ(items[1].notification.type.id, "info"); // the full payload for the resend
    return;
  }
  EXPECT_EQ(ids(due(t0 + seconds(10))), (std::vector<std::string>{r[1]}));
  EXPECT_EQ(ids(due(t0 + seconds(30))), (std::vector<std::string>{r[1], r[3], r[2]}));
  EXPECT_EQ(ids(due(t0 + seconds(100))), (std::vector<std::string>{r[1], r[3], r[2], r[0]}));
  EXPECT_EQ(ids(due(t0 + seconds(100), 2)), (std::vector<std::string>{r[1], r[3]}));
  auto items = due(t0 + seconds(10));
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].recipient.user_id, "u1");
  EXPECT_EQ(items[0].notification.type.id, "info"); // the full payload for the resend
}

TEST_P(Delivery, AckDeadlineAtCreationMakesRecordsDue) {
  notify::CreateNotificationRequest req;
  req.title = "t";
  req.type_id = "system";
  req.targets.users = {"a", "b"};
  req.created_at = clock_.wall_now();
  req.ack_deadline = clock_.wall_now() + seconds(30);
  auto c = call<notify::CreatedNotification>([&](auto cb) { repo_->create_notification(req, cb); });
  ASSERT_TRUE(c);
  EXPECT_TRUE(due(clock_.wall_now() + seconds(29)).empty());
  EXPECT_EQ(due(clock_.wall_now() + seconds(30)).size(), 2u);
}

TEST_P(Delivery, UpdateDeliveryNeverUndoesAReceipt) {
  const auto rid = send({"u"}).recipients[0].recipient_id;
  auto changed = update(rid, DeliveryStatus::failed, clock_.wall_now());
  ASSERT_TRUE(changed);
  EXPECT_TRUE(changed.value());
  ASSERT_TRUE(ack("u", rid));
  changed = update(rid, DeliveryStatus::failed, clock_.wall_now());
  ASSERT_TRUE(changed);
  EXPECT_FALSE(changed.value());
  EXPECT_EQ(record("u", rid).delivery_status, DeliveryStatus::delivered);
  EXPECT_EQ(update("424242", DeliveryStatus::failed, std::nullopt).error().code, StoreErrc::not_found);
  EXPECT_EQ(update("x", DeliveryStatus::failed, std::nullopt).error().code, StoreErrc::not_found);
  EXPECT_EQ(update(rid, DeliveryStatus::delivered, std::nullopt).error().code, StoreErrc::invalid);
}

TEST_P(Delivery, UndeliveredOldestFirst) {
  std::vector<std::string> r;
  for (int i = 0; i < 5; ++i)
    r.push_back(send({"u", "other"}).recipients[0].recipient_id);
  ASSERT_TRUE(ack("u", r[1]));
  ASSERT_TRUE(update(r[2], DeliveryStatus::failed, clock_.wall_now()));
  ASSERT_TRUE(update(r[3], DeliveryStatus::permanent_failure, std::nullopt));
  EXPECT_EQ(ids(undelivered("u")), (std::vector<std::string>{r[0], r[2], r[4]}));
  EXPECT_EQ(ids(undelivered("u", 2)), (std::vector<std::string>{r[0], r[2]}));
  EXPECT_TRUE(undelivered("nobody").empty());
  auto items = undelivered("u", 1);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].notification.title, "t");
  EXPECT_EQ(items[0].notification.sender.username, "service");
}

INSTANTIATE_TEST_SUITE_P(Backings, Delivery, all_backings(), backing_name);

} // namespace
} // namespace herald::store::test
