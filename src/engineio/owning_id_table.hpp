#pragma once
// The sessions of a loop, found by their own (inline) id: an open-addressing table of
// pointers (linear probing, at most 3/4 full), some 11 to 21 bytes per session where a
// node-based set costs 32 for the node plus its bucket. Owns what it holds. T has
// `id().view()`, a string_view that stays the same while T is in the table.

#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

namespace herald::engineio {

template <class T> class OwningIdTable {
public:
  OwningIdTable() = default;
  OwningIdTable(const OwningIdTable&) = delete;
  OwningIdTable& operator=(const OwningIdTable&) = delete;
  ~OwningIdTable() {
    for (auto* s : slots_)
      delete s;
  }

  T* find(std::string_view sid) const {
    if (slots_.empty()) return nullptr;
    for (std::size_t i = home(sid);; i = next(i)) {
      if (!slots_[i]) return nullptr;
      if (slots_[i]->id().view() == sid) return slots_[i];
    }
  }

  void insert(std::unique_ptr<T> item) {
    if ((size_ + 1) * 4 > slots_.size() * 3) grow();
    std::size_t i = home(item->id().view());
    while (slots_[i])
      i = next(i);
    slots_[i] = item.release();
    ++size_;
  }

  // Removes the item and hands it back (the caller destroys it), or null.
  std::unique_ptr<T> take(std::string_view sid) {
    if (slots_.empty()) return nullptr;
    std::size_t i = home(sid);
    while (slots_[i] && slots_[i]->id().view() != sid)
      i = next(i);
    if (!slots_[i]) return nullptr;
    std::unique_ptr<T> out(slots_[i]);
    // Backward shift: later members of the probe run move up, so no tombstones are needed.
    for (std::size_t j = next(i);; j = next(j)) {
      if (!slots_[j]) break;
      const std::size_t k = home(slots_[j]->id().view());
      // slots_[j] may fill the hole at i unless its home lies cyclically in (i, j].
      const bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
      if (stays) continue;
      slots_[i] = slots_[j];
      i = j;
    }
    slots_[i] = nullptr;
    --size_;
    return out;
  }

  std::vector<T*> all() const {
    std::vector<T*> out;
    out.reserve(size_);
    for (auto* s : slots_)
      if (s) out.push_back(s);
    return out;
  }

private:
  std::size_t home(std::string_view sid) const {
    return std::hash<std::string_view>{}(sid) & (slots_.size() - 1);
  }
  std::size_t next(std::size_t i) const { return (i + 1) & (slots_.size() - 1); }
  void grow() {
    auto old = std::move(slots_);
    slots_.assign(old.empty() ? 64 : old.size() * 2, nullptr);
    for (auto* s : old) {
      if (!s) continue;
      std::size_t i = home(s->id().view());
      while (slots_[i])
        i = next(i);
      slots_[i] = s;
    }
  }

  std::vector<T*> slots_; // a power of two in size; null is free
  std::size_t size_ = 0;
};

} // namespace herald::engineio
