// The state a background generation request shares between its worker thread, the handle
// the caller polls, and the session (which cancels and joins it when freed first).
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace mistralrs::capi {

struct RequestEvent {
  int32_t type = 0;  // MISTRALRS_EVENT_*
  int32_t token = -1;
  int32_t finish_reason = -1;
  int32_t status = 0;
  std::string text;
};

// Thread-safe: the worker pushes, one consumer pops, anyone cancels or joins.
class RequestState {
 public:
  // Read by the forward pass between layers and by the generation loop between tokens.
  std::atomic<bool> cancel{false};

  // Queues an event and wakes a waiting consumer. `last`: FINISH or ERROR, after which no
  // event follows.
  void push(RequestEvent event, bool last);
  // Takes the next event: timeout_ms 0 = do not block, < 0 = no limit. False when none came
  // in time, or at once when the last event was already taken.
  bool pop(RequestEvent* event, int32_t timeout_ms);

  // Starts the worker running fn; call once. fn must keep this state alive (hold the
  // shared_ptr), since the thread records its id here before calling it.
  template <class Fn>
  void start(Fn&& fn) {
    std::lock_guard<std::mutex> lock(join_mu_);
    worker_ = std::thread([this, f = std::forward<Fn>(fn)]() mutable {
      worker_id_.store(std::this_thread::get_id());
      f();
    });
  }
  // Waits for the worker to end. Several threads may call it; from the worker itself (a
  // callback freeing its own request) the thread is detached instead of joined.
  void join();
  bool on_worker_thread() const { return std::this_thread::get_id() == worker_id_.load(); }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<RequestEvent> queue_;
  bool last_pushed_ = false;
  std::mutex join_mu_;
  std::thread worker_;
  // Set by the worker before it runs anything (worker_.get_id() may not be read while
  // another thread joins worker_).
  std::atomic<std::thread::id> worker_id_{};
};

}  // namespace mistralrs::capi
