// Runs a job on the libuv thread pool and settles a Promise with its result, so heavy work never
// blocks the event loop. The job sees only memory the worker owns: copied inputs, and an output
// typed array created up front whose buffer is kept alive by a reference until the Promise settles.
#pragma once

#include <napi.h>

#include <exception>
#include <functional>
#include <utility>

namespace sam3clip::addon {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Job = std::function<void()>;
  // Builds the resolution value on the JS thread; `output` is the typed array given to Start().
  using Finish = std::function<Napi::Value(Napi::Env env, Napi::Value output)>;

  // Queues the job and returns its Promise. `output` may be empty when Finish builds the result.
  static Napi::Promise Start(Napi::Env env, Job job, Finish finish, Napi::Object output = Napi::Object()) {
    auto* worker = new PromiseWorker(env, std::move(job), std::move(finish), output);
    Napi::Promise promise = worker->deferred_.Promise();
    worker->Queue();  // the worker deletes itself once settled
    return promise;
  }

 protected:
  void Execute() override {
    try {
      job_();
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    try {
      deferred_.Resolve(finish_(env, output_.IsEmpty() ? env.Undefined() : output_.Value()));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  PromiseWorker(Napi::Env env, Job job, Finish finish, Napi::Object output)
      : Napi::AsyncWorker(env, "sam3clip"),
        deferred_(Napi::Promise::Deferred::New(env)),
        job_(std::move(job)),
        finish_(std::move(finish)) {
    if (!output.IsEmpty()) output_ = Napi::Persistent(output);
  }

  Napi::Promise::Deferred deferred_;
  Job job_;
  Finish finish_;
  Napi::ObjectReference output_;
};

}  // namespace sam3clip::addon
