// Capturing a stream's work once and replaying it (host-callable, no CUDA types exposed).
// A decode step launches a few hundred small kernels whose launch cost rivals their run
// time at batch 1; replaying them as one graph removes most of it. The captured kernels
// read everything that changes between steps (token id, position, key count) from device
// memory, so one graph serves every step.
// Every function returns 0 or a cudaError_t value.
#pragma once

namespace mistralrs::kernels {

struct CudaGraph {
  void* graph = nullptr;  // cudaGraph_t
  void* exec = nullptr;   // cudaGraphExec_t
};

// Starts capturing `stream` in thread-local mode: only this thread's unsafe calls
// (cudaMalloc, synchronous copies) invalidate the capture, so other threads and sessions
// keep working while it runs.
int cuda_graph_begin_capture(void* stream);
// Ends the capture and instantiates the graph into *g. On failure *g is left empty and the
// stream is no longer capturing (whatever was captured is discarded).
int cuda_graph_end_capture(void* stream, CudaGraph* g);
// Replays an instantiated graph on `stream`.
int cuda_graph_launch(const CudaGraph& g, void* stream);
// Frees both objects (null members are skipped) and empties *g.
int cuda_graph_destroy(CudaGraph* g);

}  // namespace mistralrs::kernels
