//! What the CRM knows about the caller, looked up once at `call_started` within a
//! budget of the turn's deadline, and carried in the state token for the rest of the
//! call: the scenario greets a known customer by name and transfers to their own
//! manager. A lookup that is slow or fails is simply absent — the call never waits on
//! the CRM.

use async_trait::async_trait;
use std::future::Future;
use sva_abi::CustomerProfile;

/// Looks customers up by phone (the CRM step's `sva_crm::lookup` over Bitrix24).
#[async_trait]
pub trait CustomerLookup: Send + Sync {
    /// The profile of the customer with this E.164 number at `tenant`'s CRM, if any.
    async fn lookup(&self, tenant: &str, phone: &str) -> Option<CustomerProfile>;
}

/// Any `Fn(tenant, phone) -> impl Future<Output = Option<CustomerProfile>>` is a lookup,
/// so wiring code passes a closure over its CRM client.
#[async_trait]
impl<F, Fut> CustomerLookup for F
where
    F: Fn(String, String) -> Fut + Send + Sync,
    Fut: Future<Output = Option<CustomerProfile>> + Send,
{
    async fn lookup(&self, tenant: &str, phone: &str) -> Option<CustomerProfile> {
        self(tenant.to_owned(), phone.to_owned()).await
    }
}
