// Connections to Ceph clusters for the RBD store: one librados connection per (config file,
// client id, op timeout) and one I/O context per pool on it, shared by every image opened through them
// and shut down with the last one. A connection costs threads, sockets and a cephx session:
// a gateway serving many LUNs from one pool must not pay that per LUN.
#pragma once
#include <rados/librados.h>

#include <cstdint>
#include <string>

namespace tandem {

// Where a pool is reached from.
struct RbdPoolTarget {
  std::string conf;    // ceph.conf path; empty: librados' default search ($CEPH_CONF, /etc/ceph/ceph.conf, ...)
  std::string client;  // client id without "client." ("admin")
  std::string pool;
  // Seconds after which librados fails an OSD or mon op with ETIMEDOUT; 0: it waits (librados'
  // default). Part of the connection's identity: the setting is per connection.
  uint32_t op_timeout = 0;
};

// A counted reference to a pool's shared I/O context.
struct RbdPool {
  rados_ioctx_t ioctx = nullptr;
  void* entry = nullptr;  // the registry's record, for ReleasePool
};

// Blocking (connects on first use, up to client_mount_timeout): call on a worker thread.
// Returns 0 or an errno; on failure `*failed` names the librados call that failed.
int AcquireRbdPool(const RbdPoolTarget& target, RbdPool* out, const char** failed);

// Drops the reference; the last one on a connection shuts it down (blocking: a worker thread).
void ReleaseRbdPool(RbdPool* pool);

// How many connections and pool contexts are open (for tests of the sharing).
void CountRbdConnections(size_t* connections, size_t* pools);

}  // namespace tandem
