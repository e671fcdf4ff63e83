;; The smallest scenario module that conforms to ABI v1 (docs/scenario-abi.md).
;;
;; It greets and hangs up whatever it is told, which is enough to show the whole
;; contract: the four required exports, a packed (pointer << 32 | length) return value,
;; input written by the host into memory the module hands out, and a manifest. The host
;; validates it at load and its tests step it thousands of times.
(module
  ;; One page (64 KiB) to start; sva_alloc grows it when the input needs more.
  (memory (export "memory") 1)

  ;; The output document, 175 bytes of UTF-8 at offset 16.
  (data (i32.const 16) "{\"state\":{\"greeted\":true},\"actions\":[{\"type\":\"say\",\"text\":\"Здравствуйте! Это минимальный сценарий.\"},{\"type\":\"hangup\",\"reason\":\"completed\"}]}")

  ;; The manifest, 136 bytes at offset 512.
  (data (i32.const 512) "{\"name\":\"minimal\",\"version\":\"1.0.0\",\"abi\":1,\"description\":\"The smallest module that conforms to scenario ABI v1.\",\"slots\":[],\"texts\":[]}")

  ;; Inputs are placed from 1024 upwards by a bump allocator; nothing is ever freed
  ;; because every step runs in a fresh instance.
  (global $next (mut i32) (i32.const 1024))

  ;; The ABI version this module was written for.
  (func (export "sva_abi_version") (result i32)
    i32.const 1)

  ;; (len) -> ptr: reserve `len` bytes, growing memory if needed; -1 (0xffffffff) when
  ;; memory cannot grow, which the host reports as an out-of-bounds pointer.
  (func (export "sva_alloc") (param $len i32) (result i32)
    (local $ptr i32)
    (local $end i32)
    (local.set $ptr (global.get $next))
    (local.set $end (i32.add (local.get $ptr) (local.get $len)))
    (if (i32.gt_u (local.get $end) (i32.mul (memory.size) (i32.const 65536)))
      (then
        (if (i32.eq
              (memory.grow
                (i32.sub
                  (i32.div_u (i32.add (local.get $end) (i32.const 65535)) (i32.const 65536))
                  (memory.size)))
              (i32.const -1))
          (then (return (i32.const -1))))))
    (global.set $next (local.get $end))
    (local.get $ptr))

  ;; (ptr, len) -> packed output location. The input is ignored: this scenario always
  ;; greets and hangs up.
  (func (export "sva_step") (param $ptr i32) (param $len i32) (result i64)
    (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 175)))

  ;; () -> packed manifest location.
  (func (export "sva_manifest") (result i64)
    (i64.or (i64.shl (i64.const 512) (i64.const 32)) (i64.const 136)))
)
