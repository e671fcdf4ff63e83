//! The OpenAPI document kept in `docs/` is the one the code generates. After changing
//! the API, refresh it with `SVA_WRITE_OPENAPI=1 cargo test -p sva-admin --test openapi`.

const KEPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../docs/admin-api.openapi.json"
);

#[test]
fn the_document_in_docs_is_current() {
    let generated = sva_admin::document() + "\n";
    if std::env::var_os("SVA_WRITE_OPENAPI").is_some() {
        std::fs::write(KEPT, &generated).expect("docs/admin-api.openapi.json is writable");
    }
    let kept = std::fs::read_to_string(KEPT).unwrap_or_default();
    assert!(
        kept == generated,
        "docs/admin-api.openapi.json is out of date: run `SVA_WRITE_OPENAPI=1 cargo test -p sva-admin --test openapi`"
    );
}

#[test]
fn every_operation_is_secured_and_documents_its_errors() {
    let doc: serde_json::Value = serde_json::from_str(&sva_admin::document()).unwrap();
    assert_eq!(doc["openapi"].as_str().map(|v| &v[..2]), Some("3."));
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    let mut operations = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            operations += 1;
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{method} {path} has no success"
            );
            assert!(responses.contains_key("401"), "{method} {path} lacks 401");
            if path.contains("{tenant}") {
                assert!(responses.contains_key("404"), "{method} {path} lacks 404");
            }
        }
    }
    assert_eq!(operations, 35);
}
