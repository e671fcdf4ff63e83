//! The do-not-call list in storage: add, remove, check, list (see
//! [`crate::do_not_call`]).

use super::{TenantStore, TenantStoreError, now_utc, to_json};
use crate::do_not_call::{
    DoNotCallEntry, MAX_BY_CHARS, MAX_REASON_CHARS, NewDoNotCall, cut, do_not_call_key,
    do_not_call_prefix,
};
use crate::validate_tenant_id;

/// Refuses what is not E.164 with `+` (`+` and 8–15 digits).
fn checked(number: &str) -> Result<&str, TenantStoreError> {
    if sva_abi::phone::is_e164(number) {
        Ok(number)
    } else {
        Err(TenantStoreError::InvalidNumber(format!(
            "{} is not a number in E.164 form (+ and 8 to 15 digits)",
            sva_kit::mask::mask_phone(number)
        )))
    }
}

impl TenantStore {
    /// Puts a number on the tenant's do-not-call list. The entry as stored and whether
    /// it is new: a number already on the list keeps its first entry.
    pub async fn add_do_not_call(
        &self,
        tenant: &str,
        new: NewDoNotCall<'_>,
    ) -> Result<(DoNotCallEntry, bool), TenantStoreError> {
        validate_tenant_id(tenant).map_err(TenantStoreError::InvalidId)?;
        let number = checked(new.number)?;
        let entry = DoNotCallEntry {
            number: number.to_owned(),
            source: new.source,
            by: cut(new.by, MAX_BY_CHARS),
            at: now_utc(),
            reason: cut(new.reason, MAX_REASON_CHARS),
        };
        let key = do_not_call_key(tenant, number);
        if self.store.put_if_absent(&key, to_json(&entry)).await? {
            return Ok((entry, true));
        }
        match self.read_json::<DoNotCallEntry>(&key).await? {
            Some(first) => Ok((first, false)),
            // Removed between the two requests: this one is the entry now.
            None => {
                self.store.put(&key, to_json(&entry)).await?;
                Ok((entry, true))
            }
        }
    }

    /// Takes a number off the list; its entry, or `None` when it was not on it.
    pub async fn remove_do_not_call(
        &self,
        tenant: &str,
        number: &str,
    ) -> Result<Option<DoNotCallEntry>, TenantStoreError> {
        validate_tenant_id(tenant).map_err(TenantStoreError::InvalidId)?;
        let key = do_not_call_key(tenant, checked(number)?);
        let Some(entry) = self.read_json::<DoNotCallEntry>(&key).await? else {
            return Ok(None);
        };
        self.store.delete(&key).await?;
        Ok(Some(entry))
    }

    /// Whether the number is on the tenant's list (one read).
    pub async fn is_do_not_call(
        &self,
        tenant: &str,
        number: &str,
    ) -> Result<bool, TenantStoreError> {
        validate_tenant_id(tenant).map_err(TenantStoreError::InvalidId)?;
        let key = do_not_call_key(tenant, checked(number)?);
        Ok(self.store.exists(&key).await?)
    }

    /// The number's entry, if it is on the list.
    pub async fn do_not_call_entry(
        &self,
        tenant: &str,
        number: &str,
    ) -> Result<Option<DoNotCallEntry>, TenantStoreError> {
        validate_tenant_id(tenant).map_err(TenantStoreError::InvalidId)?;
        self.read_json(&do_not_call_key(tenant, checked(number)?))
            .await
    }

    /// Every number on the list (E.164), from the keys alone: what the campaign builder
    /// checks rows against (`move |n: &str| numbers.contains(n)`).
    pub async fn do_not_call_numbers(
        &self,
        tenant: &str,
    ) -> Result<std::collections::BTreeSet<String>, TenantStoreError> {
        validate_tenant_id(tenant).map_err(TenantStoreError::InvalidId)?;
        let prefix = do_not_call_prefix(tenant);
        Ok(self
            .store
            .list(&prefix)
            .await?
            .iter()
            .filter_map(|key| key.strip_prefix(&prefix)?.strip_suffix(".json"))
            .map(|digits| format!("+{digits}"))
            .filter(|number| sva_abi::phone::is_e164(number))
            .collect())
    }

    /// The whole list, by number.
    pub async fn do_not_call_list(
        &self,
        tenant: &str,
    ) -> Result<Vec<DoNotCallEntry>, TenantStoreError> {
        validate_tenant_id(tenant).map_err(TenantStoreError::InvalidId)?;
        let mut entries = Vec::new();
        for key in self.store.list(&do_not_call_prefix(tenant)).await? {
            if let Some(entry) = self.read_json::<DoNotCallEntry>(&key).await? {
                entries.push(entry);
            }
        }
        entries.sort_by(|a, b| a.number.cmp(&b.number));
        Ok(entries)
    }
}

#[cfg(test)]
mod tests {
    use crate::do_not_call::{DoNotCallSource, NewDoNotCall};
    use crate::store::testing::store;

    fn new<'a>(number: &'a str, source: DoNotCallSource, reason: &'a str) -> NewDoNotCall<'a> {
        NewDoNotCall {
            number,
            source,
            by: "vox-1",
            reason,
        }
    }

    #[tokio::test]
    async fn a_number_is_added_once_checked_listed_and_removed() {
        let (_dir, tenants) = store();
        let (entry, created) = tenants
            .add_do_not_call(
                "acme",
                new("+79161234567", DoNotCallSource::Call, "просил не звонить"),
            )
            .await
            .unwrap();
        assert!(created);
        assert_eq!(entry.number, "+79161234567");
        assert_eq!(entry.source, DoNotCallSource::Call);
        assert_eq!(entry.by, "vox-1");
        assert!(entry.at.ends_with("+00:00"), "UTC: {}", entry.at);
        // Again, from another source: the first entry stays.
        let (again, created) = tenants
            .add_do_not_call("acme", new("+79161234567", DoNotCallSource::Admin, "дубль"))
            .await
            .unwrap();
        assert!(!created);
        assert_eq!(again, entry);
        assert!(
            tenants
                .is_do_not_call("acme", "+79161234567")
                .await
                .unwrap()
        );
        assert!(
            !tenants
                .is_do_not_call("acme", "+79161234568")
                .await
                .unwrap()
        );
        tenants
            .add_do_not_call("acme", new("+74951112233", DoNotCallSource::Bitrix, ""))
            .await
            .unwrap();
        let listed = tenants.do_not_call_list("acme").await.unwrap();
        let numbers: Vec<_> = listed.iter().map(|e| e.number.as_str()).collect();
        assert_eq!(numbers, ["+74951112233", "+79161234567"]);
        let set = tenants.do_not_call_numbers("acme").await.unwrap();
        assert_eq!(set.into_iter().collect::<Vec<_>>(), numbers);
        let removed = tenants
            .remove_do_not_call("acme", "+79161234567")
            .await
            .unwrap();
        assert_eq!(removed, Some(entry));
        assert!(
            !tenants
                .is_do_not_call("acme", "+79161234567")
                .await
                .unwrap()
        );
        assert_eq!(
            tenants
                .remove_do_not_call("acme", "+79161234567")
                .await
                .unwrap(),
            None
        );
    }

    #[tokio::test]
    async fn lists_are_per_tenant() {
        let (_dir, tenants) = store();
        tenants
            .add_do_not_call("acme", new("+79161234567", DoNotCallSource::Admin, ""))
            .await
            .unwrap();
        assert!(
            !tenants
                .is_do_not_call("other", "+79161234567")
                .await
                .unwrap()
        );
        assert!(tenants.do_not_call_list("other").await.unwrap().is_empty());
        assert_eq!(
            tenants
                .remove_do_not_call("other", "+79161234567")
                .await
                .unwrap(),
            None
        );
        assert!(
            tenants
                .is_do_not_call("acme", "+79161234567")
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn only_e164_numbers_and_valid_tenants_are_taken_and_long_reasons_are_cut() {
        let (_dir, tenants) = store();
        for bad in ["79161234567", "+7916", "+7 916 123 45 67", "../x", ""] {
            let refused = tenants
                .add_do_not_call("acme", new(bad, DoNotCallSource::Admin, ""))
                .await
                .unwrap_err();
            assert_eq!(refused.code(), "invalid_number", "{bad}");
            let refused = tenants.is_do_not_call("acme", bad).await.unwrap_err();
            assert_eq!(refused.code(), "invalid_number", "{bad}");
            assert!(
                !refused.to_string().contains("1234567"),
                "masked: {refused}"
            );
        }
        let refused = tenants
            .add_do_not_call("../acme", new("+79161234567", DoNotCallSource::Admin, ""))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), "invalid_tenant_id");
        let long = "я".repeat(2000);
        let (entry, _) = tenants
            .add_do_not_call("acme", new("+79161234567", DoNotCallSource::Admin, &long))
            .await
            .unwrap();
        assert_eq!(
            entry.reason.chars().count(),
            crate::do_not_call::MAX_REASON_CHARS
        );
    }
}
