;; Returns JSON of the right shape whose actions break the rules (no directive).
(module
  (memory (export "memory") 1)
  (global $next (mut i32) (i32.const 1024))
  (func (export "sva_abi_version") (result i32) i32.const 1)
  (func (export "sva_alloc") (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $next))
    (global.set $next (i32.add (local.get $p) (local.get $len)))
    (local.get $p))
  (data (i32.const 16) "{\"state\":null,\"actions\":[{\"type\":\"say\",\"text\":\"hi\"}]}")
  (func (export "sva_step") (param i32 i32) (result i64)
    (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 53)))
)
