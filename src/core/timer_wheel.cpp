#include "core/timer_wheel.hpp"

namespace herald::core {

TimedEntry::~TimedEntry() {
  if (wheel_) wheel_->cancel(*this);
}

TimerWheel::TimerWheel(boost::asio::io_context* loop, const Clock& clock, Millis tick, std::size_t slots)
    : loop_(loop), clock_(clock), tick_(tick), origin_(clock.steady_now()), slots_(slots, nullptr) {
  if (loop_) timer_ = std::make_unique<boost::asio::steady_timer>(*loop_);
}

TimerWheel::~TimerWheel() {
  for (auto* e : firing_)
    if (e) {
      e->wheel_ = nullptr;
      e->firing_ = 0;
    }
  for (auto* head : slots_) {
    for (auto* e = head; e;) {
      auto* next = e->next_;
      e->wheel_ = nullptr;
      e->prev_ = e->next_ = nullptr;
      e = next;
    }
  }
}

uint64_t TimerWheel::tick_of(SteadyTime t) const {
  if (t <= origin_) return 0;
  const auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(t - origin_);
  const auto tick = std::chrono::duration_cast<std::chrono::nanoseconds>(tick_);
  return static_cast<uint64_t>((elapsed.count() + tick.count() - 1) / tick.count());
}

void TimerWheel::schedule(TimedEntry& entry, SteadyTime deadline) {
  if (entry.firing_) {
    entry.wheel_->unfire(entry);
  } else if (entry.wheel_) {
    unlink(entry);
  }
  if (count_ == 0) {
    // Idle wheel: catch up without walking the ticks nobody waited for.
    const auto now = clock_.steady_now();
    current_tick_ =
        std::max(current_tick_, now <= origin_ ? 0 : static_cast<uint64_t>((now - origin_) / tick_));
  }
  entry.due_tick_ = std::max(tick_of(deadline), current_tick_ + 1);
  link(entry);
  arm();
}

void TimerWheel::cancel(TimedEntry& entry) {
  if (entry.wheel_ != this) return;
  if (entry.firing_) {
    unfire(entry);
  } else {
    unlink(entry);
  }
}

void TimerWheel::unfire(TimedEntry& entry) {
  for (auto*& e : firing_)
    if (e == &entry) e = nullptr;
  entry.wheel_ = nullptr;
  entry.firing_ = 0;
}

void TimerWheel::link(TimedEntry& entry) {
  auto& head = slots_[entry.due_tick_ % slots_.size()];
  entry.prev_ = nullptr;
  entry.next_ = head;
  if (head) head->prev_ = &entry;
  head = &entry;
  entry.wheel_ = this;
  ++count_;
}

void TimerWheel::unlink(TimedEntry& entry) {
  auto& head = slots_[entry.due_tick_ % slots_.size()];
  if (entry.prev_)
    entry.prev_->next_ = entry.next_;
  else
    head = entry.next_;
  if (entry.next_) entry.next_->prev_ = entry.prev_;
  entry.prev_ = entry.next_ = nullptr;
  entry.wheel_ = nullptr;
  --count_;
}

void TimerWheel::advance_to(SteadyTime now) {
  // Entries fire once their whole tick has passed: floor here, ceil in tick_of.
  const uint64_t target = now <= origin_ ? 0 : static_cast<uint64_t>((now - origin_) / tick_);
  while (current_tick_ < target && count_ > 0) {
    ++current_tick_;
    auto& head = slots_[current_tick_ % slots_.size()];
    // Collect due entries first: callbacks may schedule, cancel or destroy any entry,
    // including one collected here (unfire() then blanks it out).
    firing_.clear();
    for (auto* e = head; e;) {
      auto* next = e->next_;
      if (e->due_tick_ <= current_tick_) {
        unlink(*e);
        e->wheel_ = this;
        e->firing_ = 1;
        firing_.push_back(e);
      }
      e = next;
    }
    for (std::size_t i = 0; i < firing_.size(); ++i) {
      auto* e = firing_[i];
      if (!e) continue;
      e->wheel_ = nullptr;
      e->firing_ = 0;
      firing_[i] = nullptr;
      e->on_timer();
    }
    firing_.clear();
  }
  if (count_ == 0) current_tick_ = std::max(current_tick_, target);
}

void TimerWheel::arm() {
  if (!timer_ || armed_ || count_ == 0) return;
  armed_ = true;
  timer_->expires_after(tick_);
  timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return; // cancelled: the wheel may be gone
    armed_ = false;
    advance_to(clock_.steady_now());
    arm();
  });
}

} // namespace herald::core
