/*
 * mistralrs.h: the public C API of libmistralrs.
 *
 * C99, stable ABI. Every function is prefixed mistralrs_. Conventions:
 *  - Fallible calls return an int32_t status (MISTRALRS_OK = 0); on failure
 *    mistralrs_last_error() gives the calling thread's message for its last failure.
 *  - Objects are opaque handles with create/free pairs; every free accepts NULL.
 *  - Options are opaque handles with typed setters; only fixed-width integer types,
 *    floats and pointers cross the boundary (no bool, no enums, no structs by value).
 *  - No function throws, aborts or exits; bad input is an ordinary error status.
 *
 * Threading: a runtime is thread-safe; options handles are not (configure them on one
 * thread, then they may be shared read-only); log callbacks run on whichever thread
 * logged and never while a library lock other than the runtime's log sink is held.
 */
#ifndef MISTRALRS_H
#define MISTRALRS_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#if defined(MISTRALRS_BUILDING_LIBRARY)
#define MISTRALRS_API __declspec(dllexport)
#else
#define MISTRALRS_API __declspec(dllimport)
#endif
#else
#define MISTRALRS_API __attribute__((visibility("default")))
#endif

#if defined(__GNUC__) || defined(__clang__)
#define MISTRALRS_DEPRECATED(msg) __attribute__((deprecated(msg)))
#else
#define MISTRALRS_DEPRECATED(msg)
#endif

#define MISTRALRS_API_VERSION_MAJOR 0
#define MISTRALRS_API_VERSION_MINOR 1
#define MISTRALRS_API_VERSION_PATCH 0

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status codes: never renumbered, new ones only appended ---------------------- */
#define MISTRALRS_OK 0
#define MISTRALRS_ERR_INVALID_ARGUMENT 1
#define MISTRALRS_ERR_OUT_OF_MEMORY 2
#define MISTRALRS_ERR_IO 3
#define MISTRALRS_ERR_UNSUPPORTED 4
#define MISTRALRS_ERR_BUFFER_TOO_SMALL 5
#define MISTRALRS_ERR_CANCELLED 6
#define MISTRALRS_ERR_CUDA 7
#define MISTRALRS_ERR_INTERNAL 8

/* ---- log levels -------------------------------------------------------------------- */
#define MISTRALRS_LOG_TRACE 0
#define MISTRALRS_LOG_DEBUG 1
#define MISTRALRS_LOG_INFO 2
#define MISTRALRS_LOG_WARN 3
#define MISTRALRS_LOG_ERROR 4

/* The library's version as "MAJOR.MINOR.PATCH"; static storage, never freed. */
MISTRALRS_API const char* mistralrs_version(void);

/* The version numbers the library was built with (compare with the macros above). */
MISTRALRS_API void mistralrs_version_numbers(int32_t* major, int32_t* minor, int32_t* patch);

/* A short constant English name of a status code ("ok", "invalid argument", ...). */
MISTRALRS_API const char* mistralrs_status_string(int32_t status);

/* The calling thread's message for its most recent failed call; "" when none. The pointer
 * stays valid until the next failing call on the same thread. */
MISTRALRS_API const char* mistralrs_last_error(void);

/* Frees a string the library returned through a char** out-parameter. NULL is fine. */
MISTRALRS_API void mistralrs_string_free(char* s);

/* ---- runtime ----------------------------------------------------------------------- */
typedef struct mistralrs_runtime mistralrs_runtime;
typedef struct mistralrs_runtime_options mistralrs_runtime_options;

/* Called with a level, a NUL-terminated message and the user_data given with it. */
typedef void (*mistralrs_log_callback)(int32_t level, const char* message, void* user_data);

MISTRALRS_API int32_t mistralrs_runtime_options_create(mistralrs_runtime_options** out);
MISTRALRS_API void mistralrs_runtime_options_free(mistralrs_runtime_options* options);
/* Worker threads for CPU work, counting the calling thread; 0 = all hardware threads. */
MISTRALRS_API int32_t mistralrs_runtime_options_set_threads(mistralrs_runtime_options* options,
                                                            int32_t n_threads);
/* Messages at min_level and above go to callback (NULL: logging off, the default). */
MISTRALRS_API int32_t mistralrs_runtime_options_set_log_callback(
    mistralrs_runtime_options* options, mistralrs_log_callback callback, void* user_data,
    int32_t min_level);

/* options may be NULL (defaults). The options are copied; free them any time after. */
MISTRALRS_API int32_t mistralrs_runtime_create(const mistralrs_runtime_options* options,
                                               mistralrs_runtime** out);
MISTRALRS_API void mistralrs_runtime_free(mistralrs_runtime* runtime);
/* The number of CPU threads the runtime uses (>= 1), or a negative status on error. */
MISTRALRS_API int32_t mistralrs_runtime_threads(const mistralrs_runtime* runtime);
/* The number of CUDA devices usable by this build (0 without CUDA support). */
MISTRALRS_API int32_t mistralrs_runtime_cuda_devices(const mistralrs_runtime* runtime);

#ifdef __cplusplus
}
#endif

#endif /* MISTRALRS_H */
