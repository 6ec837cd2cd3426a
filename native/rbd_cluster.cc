#include "rbd_cluster.h"

#include <errno.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace tandem {
namespace {

struct Connection;

struct PoolEntry {
  Connection* connection;
  std::string name;
  rados_ioctx_t ioctx;
  int references;
};

struct Connection {
  std::string key;
  rados_t cluster;
  std::map<std::string, std::unique_ptr<PoolEntry>> pools;
};

// Opens and closes are rare and slow (network round trips): one lock over the whole
// registry keeps two LUNs of the same cluster from connecting twice.
std::mutex registry_lock;
std::map<std::string, std::unique_ptr<Connection>> connections;

// With an op timeout, librados fails an op to an OSD (or mon) that does not answer in time
// with ETIMEDOUT instead of resending it when the OSD is back; ceph.conf's values give way to
// the LUN's, which is what the connection is keyed by.
int SetOpTimeout(rados_t cluster, uint32_t seconds) {
  std::string value = std::to_string(seconds);
  int err = rados_conf_set(cluster, "rados_osd_op_timeout", value.c_str());
  if (err == 0) err = rados_conf_set(cluster, "rados_mon_op_timeout", value.c_str());
  if (err != 0 || seconds == 0) return err;
  // librbd's write-around cache (its default) completes a write before the OSDs have it. An op
  // timeout then drops that write, and librbd tells at most the one flush waiting at that
  // moment (a later flush finds nothing in flight and succeeds): acknowledged data would be
  // lost unseen. Writes complete on the OSDs instead. Write-back keeps a failed write dirty.
  char policy[32];
  if (rados_conf_get(cluster, "rbd_cache_policy", policy, sizeof policy) == 0 && std::string(policy) == "writearound") {
    err = rados_conf_set(cluster, "rbd_cache", "false");
    if (err != 0) return err;
  }
  // A zero-copy write that timed out completes only once the messenger lets go of its
  // buffer, and for a dead OSD that is when the OSD map next changes: the command would wait
  // for the OSD after all. librbd copies instead (as write-around did anyway).
  return rados_conf_set(cluster, "rbd_disable_zero_copy_writes", "true");
}

// librbd queues each aio request to its io_context_pool thread by default, one more thread
// hand-off per I/O (a quarter of a 4 KiB read's CPU here, docs/performance.md); dispatched on
// the caller's thread (the event loop) it goes straight to the messenger. What could then
// block the event loop is librados' in-flight throttle (objecter_inflight_ops/_op_bytes),
// which waits in the submitting thread until the OSDs answer; off, the bound on what is in
// flight is the target's own (each session's command window and burst lengths, plus
// librbd's rbd_cache_max_dirty for writes its cache has completed early), so an OSD that
// stops answering stalls the commands that need it, never the event loop.
int DispatchOnCallersThread(rados_t cluster) {
  int err = rados_conf_set(cluster, "rbd_non_blocking_aio", "false");
  if (err == 0) err = rados_conf_set(cluster, "objecter_inflight_ops", "0");
  if (err == 0) err = rados_conf_set(cluster, "objecter_inflight_op_bytes", "0");
  return err;
}

// Settings Tandem needs whatever ceph.conf says; applied after it is read.
int Configure(rados_t cluster, uint32_t op_timeout) {
  // Writes reach librbd straight from the SCSI command's buffer: librbd then holds the
  // completion until the OSDs no longer need that memory (its client cache, when it holds
  // writes back, still copies; so does an op timeout, SetOpTimeout).
  int err = rados_conf_set(cluster, "rbd_disable_zero_copy_writes", "false");
  // Discards must read back as zeroes (BlockDevice.discard): by default librbd skips the
  // parts of a range not aligned to rbd_discard_granularity_bytes (64 KiB).
  if (err == 0) err = rados_conf_set(cluster, "rbd_skip_partial_discard", "false");
  if (err == 0) err = DispatchOnCallersThread(cluster);
  if (err != 0) return err;
  // librados' default waits 300 s for a cluster that is not there; a LUN that cannot start
  // should say so sooner. Another value set in ceph.conf (or CEPH_ARGS) is kept.
  char timeout[32];
  if (rados_conf_get(cluster, "client_mount_timeout", timeout, sizeof timeout) == 0 && std::strtod(timeout, nullptr) == 300.0) {
    err = rados_conf_set(cluster, "client_mount_timeout", "30");
    if (err != 0) return err;
  }
  return SetOpTimeout(cluster, op_timeout);
}

int Connect(const RbdPoolTarget& target, rados_t* out, const char** failed) {
  rados_t cluster;
  std::string name = "client." + target.client;
  int r = rados_create2(&cluster, "ceph", name.c_str(), 0);
  if (r < 0) return *failed = "rados_create2", -r;
  r = rados_conf_read_file(cluster, target.conf.empty() ? nullptr : target.conf.c_str());
  // Without a file, CEPH_ARGS may still name the monitors: rados_connect says if not.
  if (r == -ENOENT && target.conf.empty()) r = 0;
  if (r < 0) *failed = "rados_conf_read_file";
  if (r == 0 && (r = rados_conf_parse_env(cluster, nullptr)) < 0) *failed = "rados_conf_parse_env";
  if (r == 0 && (r = Configure(cluster, target.op_timeout)) < 0) *failed = "rados_conf_set";
  if (r == 0 && (r = rados_connect(cluster)) < 0) *failed = "rados_connect";
  if (r < 0) {
    rados_shutdown(cluster);
    return -r;
  }
  *out = cluster;
  return 0;
}

}  // namespace

int AcquireRbdPool(const RbdPoolTarget& target, RbdPool* out, const char** failed) {
  std::lock_guard<std::mutex> hold(registry_lock);
  // LUNs with different op timeouts cannot share a connection: the timeout is the connection's.
  std::string key = target.conf + '\0' + target.client + '\0' + std::to_string(target.op_timeout);
  auto found = connections.find(key);
  if (found == connections.end()) {
    rados_t cluster;
    int err = Connect(target, &cluster, failed);
    if (err != 0) return err;
    found = connections.emplace(key, std::unique_ptr<Connection>(new Connection{key, cluster, {}})).first;
  }
  Connection* connection = found->second.get();
  auto pool = connection->pools.find(target.pool);
  if (pool == connection->pools.end()) {
    rados_ioctx_t ioctx;
    int r = rados_ioctx_create(connection->cluster, target.pool.c_str(), &ioctx);
    if (r < 0) {
      *failed = "rados_ioctx_create";
      if (connection->pools.empty()) {
        rados_shutdown(connection->cluster);
        connections.erase(found);
      }
      return -r;
    }
    pool = connection->pools.emplace(target.pool, std::unique_ptr<PoolEntry>(new PoolEntry{connection, target.pool, ioctx, 0})).first;
  }
  pool->second->references++;
  out->ioctx = pool->second->ioctx;
  out->entry = pool->second.get();
  return 0;
}

void ReleaseRbdPool(RbdPool* handle) {
  if (handle->entry == nullptr) return;
  std::lock_guard<std::mutex> hold(registry_lock);
  auto* pool = static_cast<PoolEntry*>(handle->entry);
  handle->entry = nullptr;
  handle->ioctx = nullptr;
  if (--pool->references > 0) return;
  Connection* connection = pool->connection;
  rados_ioctx_destroy(pool->ioctx);
  connection->pools.erase(pool->name);
  if (!connection->pools.empty()) return;
  rados_shutdown(connection->cluster);
  connections.erase(connection->key);
}

void CountRbdConnections(size_t* connection_count, size_t* pool_count) {
  std::lock_guard<std::mutex> hold(registry_lock);
  *connection_count = connections.size();
  *pool_count = 0;
  for (const auto& entry : connections) *pool_count += entry.second->pools.size();
}

}  // namespace tandem
