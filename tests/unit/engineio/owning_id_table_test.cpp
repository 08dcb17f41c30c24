#include "engineio/owning_id_table.hpp"

#include <gtest/gtest.h>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace herald::engineio {
namespace {

struct Item {
  struct Id {
    std::string text;
    std::string_view view() const { return text; }
  };
  explicit Item(std::string id, int* destroyed = nullptr) : id_{std::move(id)}, destroyed_(destroyed) {}
  ~Item() {
    if (destroyed_) ++*destroyed_;
  }
  const Id& id() const { return id_; }
  Id id_;
  int* destroyed_;
};

TEST(OwningIdTable, FindsTakesAndOwns) {
  int destroyed = 0;
  {
    OwningIdTable<Item> table;
    EXPECT_EQ(table.find("a"), nullptr);
    EXPECT_EQ(table.take("a"), nullptr);
    table.insert(std::make_unique<Item>("a", &destroyed));
    table.insert(std::make_unique<Item>("b", &destroyed));
    ASSERT_NE(table.find("a"), nullptr);
    EXPECT_EQ(table.find("a")->id().view(), "a");
    auto b = table.take("b");
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(table.find("b"), nullptr);
    EXPECT_EQ(table.all().size(), 1u);
    b.reset();
    EXPECT_EQ(destroyed, 1);
  }
  EXPECT_EQ(destroyed, 2); // the table destroyed what it still held
}

// Random inserts and removals against a std::map, through growth and long probe runs
// (ids that share a home slot, runs that wrap past the last slot): removal by backward
// shift must keep every other id findable. A small key space keeps the table small, so
// runs wrap often; a large one exercises growth.
class OwningIdTableChurn : public testing::TestWithParam<unsigned> {};

TEST_P(OwningIdTableChurn, AgreesWithAMap) {
  const unsigned keys = GetParam();
  std::mt19937 rng(42);
  // Several pools of random ids, so that their home slots fall everywhere, the last slots too.
  for (int pool = 0; pool < 20; ++pool) {
    std::vector<std::string> ids;
    for (unsigned k = 0; k < keys; ++k)
      ids.push_back(std::to_string(rng()));
    OwningIdTable<Item> table;
    std::map<std::string, bool> present;
    for (int step = 0; step < 20'000; ++step) {
      const auto& id = ids[rng() % keys];
      if (rng() % 3 != 0) {
        if (!present[id]) {
          table.insert(std::make_unique<Item>(id));
          present[id] = true;
        }
      } else {
        auto taken = table.take(id);
        ASSERT_EQ(taken != nullptr, present[id]) << id;
        present[id] = false;
      }
      if (step % (keys < 100 ? 7 : 10'000) == 0) {
        std::size_t count = 0;
        for (const auto& [key, in] : present) {
          ASSERT_EQ(table.find(key) != nullptr, in) << key << " at step " << step;
          count += in;
        }
        ASSERT_EQ(table.all().size(), count);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(KeySpaces, OwningIdTableChurn, testing::Values(47u, 3'000u));

} // namespace
} // namespace herald::engineio
