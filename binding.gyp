{
  # XXH3-128 (a challenge algorithm) only where libxxhash-dev is installed: native/has-xxhash.sh.
  # The Ceph RBD store only where librbd-dev and librados-dev are: native/has-rbd.sh.
  "variables": { "have_xxhash": "<!(sh native/has-xxhash.sh)", "have_rbd": "<!(sh native/has-rbd.sh)" },
  "targets": [
    {
      "target_name": "tandem_native",
      "sources": [
        "native/addon.cc",
        "native/errno_error.cc",
        "native/io_loops.cc",
        "native/file_io.cc",
        "native/batch_io.cc",
        "native/space.cc",
        "native/digest.cc",
        "native/extent_digest.cc",
        "native/hasher.cc",
        "native/crc32c.cc"
      ],
      "include_dirs": [ "<!(node -p \"require('node-addon-api').include_dir\")" ],
      "defines": [ "NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS", "_GNU_SOURCE" ],
      "cflags_cc": [ "-O2", "-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter" ],
      "conditions": [
        [ "have_xxhash==1", { "defines": [ "TANDEM_HAVE_XXHASH" ], "libraries": [ "-lxxhash" ] } ],
        [ "have_rbd==1", {
          "defines": [ "TANDEM_HAVE_RBD" ],
          "sources": [ "native/rbd_cluster.cc", "native/rbd_image.cc", "native/rbd_calls.cc", "native/rbd_open.cc" ],
          "libraries": [ "-lrbd", "-lrados" ]
        } ]
      ]
    }
  ]
}
