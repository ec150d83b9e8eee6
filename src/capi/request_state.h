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

  // Starts the worker running fn on a detached thread; call once. fn must keep this state
  // alive (hold the shared_ptr) and release everything else it holds before returning: the
  // state's waiters return as soon as fn has returned.
  template <class Fn>
  void start(Fn&& fn) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      started_ = true;
    }
    std::thread([this, f = std::forward<Fn>(fn)]() mutable {
      worker_id_.store(std::this_thread::get_id());
      f();
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
      cv_.notify_all();
    }).detach();
  }
  // Waits until the worker's fn has returned (at once when it never started). Several
  // threads may call it; from the worker itself (a callback freeing its own request or
  // session) it returns at once and the worker finishes on its own.
  void join();
  // Marks the state as having no worker (start failed or was never called).
  void mark_done();
  bool on_worker_thread() const { return std::this_thread::get_id() == worker_id_.load(); }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<RequestEvent> queue_;
  bool last_pushed_ = false;
  bool done_ = false;   // guarded by mu_: the worker's fn has returned
  bool started_ = false;  // guarded by mu_
  // Set by the worker before it runs anything.
  std::atomic<std::thread::id> worker_id_{};
};

}  // namespace mistralrs::capi
