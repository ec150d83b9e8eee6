/*
 * stream_poll.c: generation consumed from a fixed-rate loop, as a game's main thread
 * would: each 60 Hz frame drains whatever the request queued (never blocking), prints
 * the text, then "renders" (sleeps until the next frame).
 *
 *   stream_poll [MODEL] [PROMPT]     (default prompt: "The little cat")
 */
#define _POSIX_C_SOURCE 200809L
#include <mistralrs.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#define FRAME_NS 16666667L /* 60 frames per second */
#define MAX_FRAMES 3600    /* give up after a minute */

static int fail(const char* what, int32_t status) {
  fprintf(stderr, "%s failed: %s (%s)\n", what, mistralrs_status_string(status), mistralrs_last_error());
  return 1;
}

static void sleep_one_frame(void) {
  struct timespec ts;
  ts.tv_sec = 0;
  ts.tv_nsec = FRAME_NS;
  nanosleep(&ts, NULL);
}

/* Drains the queued events. Returns 1 once the last event (finish or error) was taken. */
static int drain(mistralrs_request* request, int* tokens, int32_t* finish, int32_t* error) {
  mistralrs_request_event ev;
  memset(&ev, 0, sizeof ev);
  ev.size = sizeof ev;
  while (mistralrs_request_poll(request, &ev) == 1) {
    if (ev.type == MISTRALRS_EVENT_TOKEN) {
      fwrite(ev.text, 1, ev.text_len, stdout);
      if (ev.token >= 0) ++*tokens;
    } else if (ev.type == MISTRALRS_EVENT_FINISH) {
      *finish = ev.finish_reason;
      return 1;
    } else if (ev.type == MISTRALRS_EVENT_ERROR) {
      fprintf(stderr, "\nrequest failed: %s (%s)\n", mistralrs_status_string(ev.status), ev.text);
      *error = ev.status;
      return 1;
    }
  }
  fflush(stdout);
  return 0;
}

int main(int argc, char** argv) {
  const char* model_path = argc > 1 ? argv[1] : "examples/models/demo-q8_0.gguf";
  const char* prompt = argc > 2 ? argv[2] : "The little cat";
  mistralrs_runtime* runtime = NULL;
  mistralrs_model* model = NULL;
  mistralrs_session* session = NULL;
  mistralrs_generate_options* gen = NULL;
  mistralrs_request_options* ropts = NULL;
  mistralrs_request* request = NULL;
  int frames = 0, tokens = 0, done = 0;
  int32_t finish = -1, error = MISTRALRS_OK, st;
  int rc = 1;

  if ((st = mistralrs_runtime_create(NULL, &runtime)) != MISTRALRS_OK) return fail("runtime_create", st);
  if ((st = mistralrs_model_load(runtime, model_path, NULL, &model)) != MISTRALRS_OK) {
    rc = fail("model_load", st);
    goto cleanup;
  }
  if ((st = mistralrs_session_create(model, NULL, &session)) != MISTRALRS_OK ||
      (st = mistralrs_generate_options_create(&gen)) != MISTRALRS_OK ||
      (st = mistralrs_generate_options_set_max_tokens(gen, 64)) != MISTRALRS_OK ||
      (st = mistralrs_request_options_create(&ropts)) != MISTRALRS_OK ||
      (st = mistralrs_request_options_set_prompt_text(ropts, prompt, strlen(prompt),
                                                      MISTRALRS_TOKENIZE_ADD_SPECIAL)) != MISTRALRS_OK ||
      (st = mistralrs_request_options_set_generate_options(ropts, gen)) != MISTRALRS_OK) {
    rc = fail("setup", st);
    goto cleanup;
  }
  if ((st = mistralrs_request_start(session, ropts, &request)) != MISTRALRS_OK) {
    rc = fail("request_start", st);
    goto cleanup;
  }

  printf("%s", prompt);
  while (!done && frames < MAX_FRAMES) {
    done = drain(request, &tokens, &finish, &error);
    ++frames;
    sleep_one_frame(); /* the rest of the frame: game logic, rendering */
  }
  printf("\n[%d tokens over %d frames at 60 Hz, finish reason %d]\n", tokens, frames, (int)finish);
  rc = done && error == MISTRALRS_OK ? 0 : 1;

cleanup:
  mistralrs_request_free(request); /* would cancel and join a request still running */
  mistralrs_request_options_free(ropts);
  mistralrs_generate_options_free(gen);
  mistralrs_session_free(session);
  mistralrs_model_free(model);
  mistralrs_runtime_free(runtime);
  return rc;
}
