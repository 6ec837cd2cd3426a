// rbdOpen(options, onComplete, cb): connects (or reuses the pool's connection), creates the
// image when asked and absent, opens it, and hands the JS thread an RbdImage.
#include <errno.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "args.h"
#include "async_call.h"
#include "exports.h"
#include "rbd_calls.h"

namespace tandem {
namespace {

struct OpenRequest {
  RbdPoolTarget target;
  std::string image;
  bool read_only = false;
  uint64_t create = 0;  // bytes; 0: never create
};

class OpenCall : public AsyncCall {
 public:
  OpenCall(Napi::Function callback, OpenRequest request, Napi::Function on_complete)
      : AsyncCall(callback, "rbd_open"), request_(std::move(request)), on_complete_(Napi::Persistent(on_complete)) {}

 private:
  void Execute() override {
    const char* failed = nullptr;
    int err = AcquireRbdPool(request_.target, &opened_.pool, &failed);
    if (err != 0) return Fail(err, failed);
    err = OpenImage(&failed);
    if (err != 0) {
      ReleaseRbdPool(&opened_.pool);
      return Fail(err, failed);
    }
  }

  int OpenImage(const char** failed) {
    rados_ioctx_t io = opened_.pool.ioctx;
    const char* name = request_.image.c_str();
    auto open = [&]() {
      return request_.read_only ? rbd_open_read_only(io, name, &opened_.image, nullptr) : rbd_open(io, name, &opened_.image, nullptr);
    };
    int r = open();
    if (r == -ENOENT && request_.create > 0 && !request_.read_only) {
      int order = 0;  // librbd's default object size
      r = rbd_create(io, name, request_.create, &order);
      if (r < 0 && r != -EEXIST) return *failed = "rbd_create", -r;  // EEXIST: another opener won
      r = open();
    }
    if (r < 0) return *failed = "rbd_open", -r;
    r = rbd_get_size(opened_.image, &opened_.size);
    // As for files: `size` grows a smaller image, never shrinks one.
    if (r == 0 && !request_.read_only && request_.create > opened_.size) {
      r = rbd_resize(opened_.image, request_.create);
      if (r == 0) opened_.size = request_.create;
      else *failed = "rbd_resize";
    } else if (r < 0) {
      *failed = "rbd_get_size";
    }
    if (r == 0 && !request_.read_only && request_.target.op_timeout > 0) r = RefuseWriteAround(failed);
    if (r < 0) {
      rbd_close(opened_.image);
      return -r;
    }
    return 0;
  }

  // The connection turned librbd's write-around cache off (rbd_cluster.cc: with an op timeout
  // it would lose acknowledged writes), but a pool's or the image's own config overrides
  // (`rbd config pool|image set`) apply at open, over it: refuse the image if they turn it back on.
  int RefuseWriteAround(const char** failed) {
    std::vector<rbd_config_option_t> options(256);
    int count = static_cast<int>(options.size());
    int r = rbd_config_image_list(opened_.image, options.data(), &count);
    if (r == -ERANGE) {
      options.resize(static_cast<size_t>(count));
      r = rbd_config_image_list(opened_.image, options.data(), &count);
    }
    if (r < 0) return *failed = "rbd_config_image_list", r;
    std::string cache, policy, dirty;
    for (int i = 0; i < count; i++) {
      const rbd_config_option_t& option = options[static_cast<size_t>(i)];
      std::string name = option.name;
      if (name == "rbd_cache") cache = option.value;
      else if (name == "rbd_cache_policy") policy = option.value;
      else if (name == "rbd_cache_max_dirty") dirty = option.value;  // 0: write-around passes writes through
    }
    rbd_config_image_list_cleanup(options.data(), count);
    // Overrides are the strings their setter gave ("1", "24M"): anything but a clear "off" counts as on.
    bool cache_off = cache == "false" || cache == "0" || cache == "no";
    bool write_around = !cache_off && policy == "writearound" && std::strtoull(dirty.c_str(), nullptr, 10) > 0;
    if (write_around) return *failed = "rbd_cache_policy", -EINVAL;
    return 0;
  }

  Napi::Value Result(Napi::Env env) override {
    auto* constructor = env.GetInstanceData<Napi::FunctionReference>();
    return constructor->New({Napi::External<RbdOpened>::New(env, &opened_), on_complete_.Value()});
  }

  OpenRequest request_;
  Napi::FunctionReference on_complete_;
  RbdOpened opened_{};
};

bool StringOption(Napi::Env env, const Napi::Object& options, const char* key, std::string* out, bool required) {
  Napi::Value value = options.Get(key);
  if (value.IsUndefined() && !required) return true;
  if (!value.IsString()) return ThrowType(env, (std::string(key) + " must be a string").c_str());
  *out = value.As<Napi::String>().Utf8Value();
  return true;
}

// rbdOpen({pool, image, conf?, client?, readOnly?, create?, opTimeout?}, onComplete, cb)
Napi::Value RbdOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) return ThrowType(env, "options must be an object"), env.Undefined();
  if (!info[1].IsFunction()) return ThrowType(env, "onComplete must be a function"), env.Undefined();
  Napi::Function callback;
  if (!GetCallback(info, 2, &callback)) return env.Undefined();
  Napi::Object options = info[0].As<Napi::Object>();
  OpenRequest request;
  request.target.client = "admin";
  if (!StringOption(env, options, "pool", &request.target.pool, true) || !StringOption(env, options, "image", &request.image, true) ||
      !StringOption(env, options, "conf", &request.target.conf, false) || !StringOption(env, options, "client", &request.target.client, false)) {
    return env.Undefined();
  }
  request.read_only = options.Get("readOnly").ToBoolean().Value();
  Napi::Value timeout = options.Get("opTimeout");
  if (!timeout.IsUndefined()) {
    double seconds = timeout.IsNumber() ? timeout.As<Napi::Number>().DoubleValue() : -1;
    if (!(seconds >= 0) || seconds > 2147483647.0 || seconds != static_cast<double>(static_cast<uint32_t>(seconds))) {
      return ThrowRange(env, "opTimeout must be a non-negative integer of seconds"), env.Undefined();
    }
    request.target.op_timeout = static_cast<uint32_t>(seconds);
  }
  Napi::Value create = options.Get("create");
  if (!create.IsUndefined()) {
    double bytes = create.IsNumber() ? create.As<Napi::Number>().DoubleValue() : -1;
    if (!(bytes > 0) || bytes > 9007199254740992.0 || bytes != static_cast<double>(static_cast<uint64_t>(bytes))) {
      return ThrowRange(env, "create must be a positive safe integer"), env.Undefined();
    }
    request.create = static_cast<uint64_t>(bytes);
  }
  (new OpenCall(callback, std::move(request), info[1].As<Napi::Function>()))->Queue();
  return env.Undefined();
}

// rbdConnections(): {connections, pools} currently open, for tests of the sharing.
Napi::Value RbdConnections(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t connections, pools;
  CountRbdConnections(&connections, &pools);
  Napi::Object result = Napi::Object::New(env);
  result.Set("connections", Napi::Number::New(env, static_cast<double>(connections)));
  result.Set("pools", Napi::Number::New(env, static_cast<double>(pools)));
  return result;
}

}  // namespace

void RegisterRbd(Napi::Env env, Napi::Object exports) {
  // The only instance data this addon keeps: RbdImage's constructor, for the open worker.
  env.SetInstanceData(new Napi::FunctionReference(Napi::Persistent(RbdImage::Define(env))));
  exports.Set("rbdAvailable", Napi::Boolean::New(env, true));
  exports.Set("rbdOpen", Napi::Function::New(env, RbdOpen, "rbdOpen"));
  exports.Set("rbdConnections", Napi::Function::New(env, RbdConnections, "rbdConnections"));
}

}  // namespace tandem
