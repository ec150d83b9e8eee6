// A fixed pool of worker threads owned by a runtime (no global pool).
// parallel_for splits [0, n) into contiguous chunks, runs them on the workers and the
// calling thread, and returns when all are done. Calls from inside a task run inline
// (no nested parallelism, no deadlock).
//
// Decode runs a hundred or more small parallel_for calls per token, so waking sleeping
// threads through the kernel for each would cost more than the work (measured: about 20%
// of a 110M-model decode step). Workers therefore spin for a short while (kSpinMicros)
// after each task before they sleep on a condition variable, and the caller spins for
// completion.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace mistralrs {

class ThreadPool {
 public:
  // n_threads counts the caller: 1 means no worker threads. 0 picks the hardware count.
  explicit ThreadPool(int n_threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // fn(begin, end) over chunks of [0, n); at most size() chunks, each >= min_chunk items.
  void parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn,
                    int64_t min_chunk = 1);

  static constexpr int kSpinMicros = 300;

 private:
  void worker_loop(int index);
  bool wait_for_work(uint64_t seen);  // false when stopping

  int n_threads_;
  std::vector<std::thread> workers_;
  std::mutex run_mutex_;  // one parallel_for at a time
  std::mutex mutex_;      // guards sleeping workers' wake-up
  std::condition_variable wake_;
  const std::function<void(int64_t, int64_t)>* task_ = nullptr;
  int64_t n_ = 0;
  int n_chunks_ = 0;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<int> sleeping_{0};
  std::atomic<bool> stop_{false};
};

// Uses `pool` when non-null, else runs inline.
void parallel_for(ThreadPool* pool, int64_t n, const std::function<void(int64_t, int64_t)>& fn,
                  int64_t min_chunk = 1);

}  // namespace mistralrs
