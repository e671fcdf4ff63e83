;; Declares 1000 pages (62.5 MiB) of initial memory, above the 32 MiB ceiling.
(module
  (memory (export "memory") 1000)
  (func (export "sva_abi_version") (result i32) i32.const 1)
  (func (export "sva_alloc") (param i32) (result i32) i32.const 1024)
  (func (export "sva_step") (param i32 i32) (result i64) i64.const 0)
)
