/*
 * cancel.c: a long prefill runs on a second thread; the main thread cancels it and
 * reports how long the cancel took to stop the evaluation.
 *
 *   cancel [MODEL]
 *
 * The session evaluates ~250 tokens one per forward pass (prefill chunk 1), over and
 * over, until an eval returns MISTRALRS_ERR_CANCELLED. A cancel that arrives while no
 * eval runs (between two of them) does nothing, so the main thread repeats it until
 * the worker reports the cancellation. Exit status 0 when the eval was cancelled.
 */
#define _POSIX_C_SOURCE 200809L
#include <mistralrs.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define N_TOKENS 250

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct job {
  mistralrs_session* session;
  int32_t tokens[N_TOKENS];
  pthread_mutex_t mutex;
  pthread_cond_t cond;
  int started;
  int done;
  long complete_evals;
  int32_t status;      /* the status of the eval that did not complete */
  double returned_at;  /* when that eval returned */
};

static void* worker(void* arg) {
  struct job* job = (struct job*)arg;
  double deadline = now_seconds() + 120.0;
  int32_t st = MISTRALRS_OK;
  pthread_mutex_lock(&job->mutex);
  job->started = 1;
  pthread_cond_broadcast(&job->cond);
  pthread_mutex_unlock(&job->mutex);
  while (now_seconds() < deadline) {
    mistralrs_session_reset(job->session);
    st = mistralrs_session_eval(job->session, job->tokens, N_TOKENS, NULL);
    if (st != MISTRALRS_OK) break;
    pthread_mutex_lock(&job->mutex);
    job->complete_evals++;
    pthread_cond_broadcast(&job->cond);
    pthread_mutex_unlock(&job->mutex);
  }
  pthread_mutex_lock(&job->mutex);
  job->returned_at = now_seconds();
  job->status = st;
  job->done = 1;
  pthread_cond_broadcast(&job->cond);
  pthread_mutex_unlock(&job->mutex);
  return NULL;
}

static int fail(const char* what, int32_t status) {
  fprintf(stderr, "%s failed: %s (%s)\n", what, mistralrs_status_string(status), mistralrs_last_error());
  return 1;
}

int main(int argc, char** argv) {
  const char* model_path = argc > 1 ? argv[1] : "examples/models/demo-q8_0.gguf";
  static struct job job;
  mistralrs_runtime* runtime = NULL;
  mistralrs_model* model = NULL;
  mistralrs_session_options* sopts = NULL;
  pthread_t thread;
  double cancelled_at = 0.0;
  int cancels = 0, rc = 1, i;
  int32_t st;

  if ((st = mistralrs_runtime_create(NULL, &runtime)) != MISTRALRS_OK) return fail("runtime_create", st);
  if ((st = mistralrs_model_load(runtime, model_path, NULL, &model)) != MISTRALRS_OK) {
    rc = fail("model_load", st);
    goto done;
  }
  if ((st = mistralrs_session_options_create(&sopts)) != MISTRALRS_OK ||
      (st = mistralrs_session_options_set_context_length(sopts, 256)) != MISTRALRS_OK ||
      (st = mistralrs_session_options_set_prefill_chunk(sopts, 1)) != MISTRALRS_OK ||
      (st = mistralrs_session_create(model, sopts, &job.session)) != MISTRALRS_OK) {
    rc = fail("session", st);
    goto done;
  }
  for (i = 0; i < N_TOKENS; i++) job.tokens[i] = 1 + (i * 7) % 200; /* any valid ids */

  pthread_mutex_init(&job.mutex, NULL);
  pthread_cond_init(&job.cond, NULL);
  if (pthread_create(&thread, NULL, worker, &job) != 0) {
    fprintf(stderr, "pthread_create failed\n");
    goto done;
  }

  pthread_mutex_lock(&job.mutex);
  while (!job.started) pthread_cond_wait(&job.cond, &job.mutex);
  while (!job.done) {
    long before = job.complete_evals;
    pthread_mutex_unlock(&job.mutex);
    {
      struct timespec pause = {0, 2000000}; /* let the eval get going */
      nanosleep(&pause, NULL);
    }
    cancelled_at = now_seconds();
    mistralrs_session_cancel(job.session);
    cancels++;
    pthread_mutex_lock(&job.mutex);
    /* Wait until the eval stops, or another eval completes (the cancel came between two). */
    while (!job.done && job.complete_evals <= before + 1) pthread_cond_wait(&job.cond, &job.mutex);
  }
  pthread_mutex_unlock(&job.mutex);
  pthread_join(thread, NULL);

  printf("eval status: %s after %ld complete evals, %d cancel call(s)\n", mistralrs_status_string(job.status),
         job.complete_evals, cancels);
  if (job.status != MISTRALRS_ERR_CANCELLED) {
    fprintf(stderr, "expected MISTRALRS_ERR_CANCELLED, got %d (%s)\n", (int)job.status, mistralrs_last_error());
    goto done;
  }
  if (mistralrs_session_n_past(job.session) != 0) {
    fprintf(stderr, "a cancelled eval appended tokens\n");
    goto done;
  }
  printf("cancel took %.3f ms (from mistralrs_session_cancel to eval returning)\n",
         (job.returned_at - cancelled_at) * 1e3);
  rc = 0;

done:
  mistralrs_session_free(job.session);
  mistralrs_session_options_free(sopts);
  mistralrs_model_free(model);
  mistralrs_runtime_free(runtime);
  return rc;
}
