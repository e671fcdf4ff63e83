//! [`S3Store`]: objects in an S3-protocol bucket (Yandex Object Storage, AWS S3, any
//! compatible server).

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;

use super::{ObjectMeta, ObjectStore, StorageError, validate_key, validate_prefix};
use crate::config::S3Config;

/// S3's own page size for listings, and ours by default.
const DEFAULT_PAGE_SIZE: i32 = 1000;

/// Objects in one S3 bucket.
///
/// Configured for S3-compatible services: the endpoint, region and path-style
/// addressing come from [`S3Config`]; request checksums are sent and response checksums
/// checked only when an operation requires them (the SDK's newer default, checksums on
/// every upload, is refused by some compatible services, Yandex Object Storage among
/// them at the time of writing). Listing follows continuation tokens through all pages.
#[derive(Clone, Debug)]
pub struct S3Store {
    client: Client,
    bucket: String,
    page_size: i32,
    conditional_put: bool,
}

impl S3Store {
    /// A store over `bucket` with a ready client (conditional writes on, pages of
    /// 1000 keys).
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
            page_size: DEFAULT_PAGE_SIZE,
            conditional_put: true,
        }
    }

    /// Builds the client from the configuration: static credentials if given,
    /// otherwise the standard AWS chain (environment, profile, container, IMDS).
    pub async fn from_config(config: &S3Config) -> Result<Self, StorageError> {
        if config.bucket.trim().is_empty() {
            return Err(StorageError::Config("the S3 bucket name is empty".into()));
        }
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(config.region.clone()));
        if let Some(creds) = &config.credentials {
            loader = loader.credentials_provider(Credentials::new(
                creds.access_key_id.clone(),
                creds.secret_access_key.expose().to_owned(),
                None,
                None,
                "sva-config",
            ));
        }
        let shared = loader.load().await;
        let mut builder = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(config.force_path_style)
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(3))
                    .operation_attempt_timeout(Duration::from_secs(20))
                    .build(),
            );
        if let Some(endpoint) = &config.endpoint {
            builder = builder.endpoint_url(endpoint);
        }
        let client = Client::from_conf(builder.build());
        Ok(Self::new(client, config.bucket.clone()).with_conditional_put(config.conditional_put))
    }

    /// Lists in pages of `page_size` keys (1..=1000; S3 never returns more than 1000).
    pub fn with_page_size(mut self, page_size: i32) -> Self {
        self.page_size = page_size.clamp(1, DEFAULT_PAGE_SIZE);
        self
    }

    /// Whether create-only writes use `If-None-Match: *` (the default) or HEAD then PUT.
    pub fn with_conditional_put(mut self, conditional_put: bool) -> Self {
        self.conditional_put = conditional_put;
        self
    }

    /// The SDK client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }
}

fn backend<E, R>(op: &'static str, key: &str, err: &SdkError<E, R>) -> StorageError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    StorageError::Backend {
        op,
        key: key.to_owned(),
        message: DisplayErrorContext(err).to_string(),
    }
}

/// The HTTP status of a failed call, if the service answered.
fn status<E>(err: &SdkError<E, HttpResponse>) -> Option<u16> {
    err.raw_response()
        .map(|response| response.status().as_u16())
}

#[async_trait]
impl ObjectStore for S3Store {
    async fn get(&self, key: &str) -> Result<Option<Bytes>, StorageError> {
        validate_key(key)?;
        let result = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await;
        let output = match result {
            Ok(output) => output,
            Err(err) if err.as_service_error().is_some_and(|e| e.is_no_such_key()) => {
                return Ok(None);
            }
            Err(err) => return Err(backend("get", key, &err)),
        };
        let data = output
            .body
            .collect()
            .await
            .map_err(|e| StorageError::Backend {
                op: "get",
                key: key.to_owned(),
                message: e.to_string(),
            })?;
        Ok(Some(data.into_bytes()))
    }

    async fn put(&self, key: &str, body: Bytes) -> Result<(), StorageError> {
        validate_key(key)?;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|err| backend("put", key, &err))?;
        Ok(())
    }

    async fn put_if_absent(&self, key: &str, body: Bytes) -> Result<bool, StorageError> {
        validate_key(key)?;
        if !self.conditional_put {
            // Racy fallback: another writer may create the object between the two calls.
            if self.exists(key).await? {
                return Ok(false);
            }
            self.put(key, body).await?;
            return Ok(true);
        }
        let result = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .if_none_match("*")
            .body(ByteStream::from(body))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) if status(&err) == Some(412) || err.code() == Some("PreconditionFailed") => {
                Ok(false)
            }
            // 409 ConditionalRequestConflict: a concurrent conditional write is in
            // flight and may yet fail, so neither answer is known: the caller retries.
            Err(err) => Err(backend("put_if_absent", key, &err)),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        validate_key(key)?;
        // S3 answers 204 for a missing key too.
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|err| backend("delete", key, &err))?;
        Ok(())
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
        validate_prefix(prefix)?;
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .max_keys(self.page_size)
            .into_paginator()
            .send();
        let mut keys = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|err| backend("list", prefix, &err))?;
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|object| object.key())
                    .filter(|key| key.starts_with(prefix))
                    .map(str::to_owned),
            );
        }
        keys.sort_unstable();
        keys.dedup();
        Ok(keys)
    }

    async fn head(&self, key: &str) -> Result<Option<ObjectMeta>, StorageError> {
        validate_key(key)?;
        let result = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await;
        match result {
            Ok(output) => Ok(Some(ObjectMeta {
                size: output
                    .content_length()
                    .and_then(|n| u64::try_from(n).ok())
                    .unwrap_or(0),
            })),
            Err(err)
                if err.as_service_error().is_some_and(|e| e.is_not_found())
                    || status(&err) == Some(404) =>
            {
                Ok(None)
            }
            Err(err) => Err(backend("head", key, &err)),
        }
    }
}
