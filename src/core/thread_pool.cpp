#include "core/thread_pool.h"

#include <algorithm>
#include <chrono>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define MISTRALRS_CPU_RELAX() _mm_pause()
#else
#define MISTRALRS_CPU_RELAX() std::this_thread::yield()
#endif

namespace mistralrs {

namespace {
thread_local bool t_inside_pool_task = false;

inline void chunk_range(int64_t n, int chunks, int i, int64_t* b, int64_t* e) {
  *b = n * i / chunks;
  *e = n * (i + 1) / chunks;
}
}  // namespace

ThreadPool::ThreadPool(int n_threads) {
  if (n_threads <= 0) n_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  n_threads_ = n_threads;
  for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true);
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

bool ThreadPool::wait_for_work(uint64_t seen) {
  // Spin first: the next op of a decode step usually follows within microseconds.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(kSpinMicros);
  for (int i = 0;; ++i) {
    if (generation_.load(std::memory_order_acquire) != seen) return true;
    if (stop_.load(std::memory_order_relaxed)) return false;
    MISTRALRS_CPU_RELAX();
    if ((i & 255) == 255 && std::chrono::steady_clock::now() > deadline) break;
  }
  // Then sleep. sleeping_ is raised before the generation is re-read under the mutex, and
  // the caller raises the generation before reading sleeping_ (both sequentially
  // consistent), so one of the two always sees the other: no lost wake-up.
  sleeping_.fetch_add(1);
  std::unique_lock<std::mutex> lock(mutex_);
  wake_.wait(lock, [&] { return stop_.load() || generation_.load() != seen; });
  sleeping_.fetch_sub(1);
  return !stop_.load();
}

void ThreadPool::worker_loop(int index) {
  uint64_t seen = 0;
  while (wait_for_work(seen)) {
    seen = generation_.load(std::memory_order_acquire);
    if (index < n_chunks_) {
      int64_t b, e;
      chunk_range(n_, n_chunks_, index, &b, &e);
      t_inside_pool_task = true;
      (*task_)(b, e);
      t_inside_pool_task = false;
    }
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn,
                              int64_t min_chunk) {
  if (n <= 0) return;
  min_chunk = std::max<int64_t>(1, min_chunk);
  const int chunks = static_cast<int>(std::min<int64_t>(n_threads_, (n + min_chunk - 1) / min_chunk));
  if (chunks <= 1 || t_inside_pool_task || workers_.empty()) {
    fn(0, n);
    return;
  }
  std::lock_guard<std::mutex> run_lock(run_mutex_);
  // Workers read these after seeing the new generation (release / acquire).
  task_ = &fn;
  n_ = n;
  n_chunks_ = chunks;
  pending_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
  generation_.fetch_add(1);
  if (sleeping_.load() > 0) {
    std::lock_guard<std::mutex> lock(mutex_);
    wake_.notify_all();
  }
  int64_t b, e;
  chunk_range(n, chunks, 0, &b, &e);
  t_inside_pool_task = true;
  fn(b, e);
  t_inside_pool_task = false;
  // Spin a little (the chunks are equal, so the workers finish at about the same time),
  // then yield so that an oversubscribed machine can run the workers we wait for.
  for (int i = 0; pending_.load(std::memory_order_acquire) != 0; ++i) {
    if (i < 4096) MISTRALRS_CPU_RELAX();
    else std::this_thread::yield();
  }
}

void parallel_for(ThreadPool* pool, int64_t n, const std::function<void(int64_t, int64_t)>& fn,
                  int64_t min_chunk) {
  if (pool) pool->parallel_for(n, fn, min_chunk);
  else if (n > 0) fn(0, n);
}

}  // namespace mistralrs
