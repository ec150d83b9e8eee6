#include "cuda_graph.h"

#include <cuda_runtime.h>

namespace mistralrs::kernels {

int cuda_graph_begin_capture(void* stream) {
  if (!stream) return static_cast<int>(cudaErrorInvalidValue);  // the legacy stream cannot be captured
  return static_cast<int>(
      cudaStreamBeginCapture(static_cast<cudaStream_t>(stream), cudaStreamCaptureModeThreadLocal));
}

int cuda_graph_end_capture(void* stream, CudaGraph* g) {
  g->graph = g->exec = nullptr;
  cudaGraph_t graph = nullptr;
  cudaError_t e = cudaStreamEndCapture(static_cast<cudaStream_t>(stream), &graph);
  if (e != cudaSuccess) {
    if (graph) cudaGraphDestroy(graph);
    return static_cast<int>(e);
  }
  cudaGraphExec_t exec = nullptr;
  e = cudaGraphInstantiate(&exec, graph, 0);
  if (e != cudaSuccess) {
    cudaGraphDestroy(graph);
    return static_cast<int>(e);
  }
  g->graph = graph;
  g->exec = exec;
  return 0;
}

int cuda_graph_launch(const CudaGraph& g, void* stream) {
  if (!g.exec) return static_cast<int>(cudaErrorInvalidValue);
  return static_cast<int>(cudaGraphLaunch(static_cast<cudaGraphExec_t>(g.exec), static_cast<cudaStream_t>(stream)));
}

int cuda_graph_destroy(CudaGraph* g) {
  cudaError_t e = cudaSuccess;
  if (g->exec) e = cudaGraphExecDestroy(static_cast<cudaGraphExec_t>(g->exec));
  if (g->graph) {
    const cudaError_t e2 = cudaGraphDestroy(static_cast<cudaGraph_t>(g->graph));
    if (e == cudaSuccess) e = e2;
  }
  g->graph = g->exec = nullptr;
  return static_cast<int>(e);
}

}  // namespace mistralrs::kernels
