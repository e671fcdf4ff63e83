//! The portal's data: CRM records (leads, contacts, deals) with their multifields, timeline
//! comments, activities, external calls and OAuth tokens, all serialisable for the state file.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::directory::Directory;
use crate::error::PortalError;

/// A CRM entity type the portal keeps (`api-reference/crm/data-types#object_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Kind {
    /// Lead (`CRM` type id 1).
    Lead,
    /// Contact (type id 3).
    Contact,
    /// Deal (type id 2).
    Deal,
    /// Company (type id 4).
    Company,
}

impl Kind {
    /// The CRM object type id (`OWNER_TYPE_ID`).
    pub(crate) fn type_id(self) -> u64 {
        match self {
            Kind::Lead => 1,
            Kind::Deal => 2,
            Kind::Contact => 3,
            Kind::Company => 4,
        }
    }

    /// The kind for an object type id.
    pub(crate) fn from_type_id(id: i64) -> Option<Kind> {
        match id {
            1 => Some(Kind::Lead),
            2 => Some(Kind::Deal),
            3 => Some(Kind::Contact),
            4 => Some(Kind::Company),
            _ => None,
        }
    }

    /// `LEAD`, `CONTACT`, `DEAL`.
    pub(crate) fn upper(self) -> &'static str {
        match self {
            Kind::Lead => "LEAD",
            Kind::Contact => "CONTACT",
            Kind::Deal => "DEAL",
            Kind::Company => "COMPANY",
        }
    }

    /// The kind for `lead`/`LEAD` and so on.
    pub(crate) fn from_name(name: &str) -> Option<Kind> {
        match name.trim().to_ascii_uppercase().as_str() {
            "LEAD" => Some(Kind::Lead),
            "CONTACT" => Some(Kind::Contact),
            "DEAL" => Some(Kind::Deal),
            "COMPANY" => Some(Kind::Company),
            _ => None,
        }
    }
}

/// One value of a multifield (`PHONE`, `EMAIL`, `WEB`, `IM`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct MultiValue {
    /// The entry id (from a portal-wide counter), used by updates.
    pub id: u64,
    /// `WORK`, `MOBILE`, …
    pub value_type: String,
    /// The value exactly as it was given.
    pub value: String,
}

/// A lead, contact or deal.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Record {
    /// The id.
    pub id: u64,
    /// Creation time (Unix seconds).
    pub created: i64,
    /// Last modification time.
    pub modified: i64,
    /// Who created it.
    pub created_by: u64,
    /// Who last changed it.
    pub modified_by: u64,
    /// Scalar and list fields in their string form (`UF_*` included).
    pub fields: BTreeMap<String, Value>,
    /// Multifields by name.
    pub multi: BTreeMap<String, Vec<MultiValue>>,
}

/// The records of one entity type.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Table {
    /// The last id handed out.
    pub last_id: u64,
    /// Records by id.
    pub rows: BTreeMap<u64, Record>,
}

impl Table {
    /// The next id.
    pub(crate) fn next_id(&mut self) -> u64 {
        self.last_id += 1;
        self.last_id
    }
}

/// An external-telephony call (`telephony.externalCall.*`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Call {
    /// The numeric statistic id.
    pub id: u64,
    /// `externalCall.<hash>.<ts>`.
    pub call_id: String,
    /// The portal user.
    pub user_id: u64,
    /// The client's number as given.
    pub phone_number: String,
    /// `LINE_NUMBER`.
    pub line_number: Option<String>,
    /// `TYPE` 1..5.
    pub call_type: u8,
    /// `CALL_START_DATE` (Unix seconds).
    pub start: i64,
    /// When it was registered.
    pub registered: i64,
    /// `EXTERNAL_CALL_ID`.
    pub external_call_id: Option<String>,
    /// The bound CRM entity.
    pub crm: Option<(Kind, u64)>,
    /// The lead created by `CRM_CREATE`.
    pub created_lead: Option<u64>,
    /// The answer of `register`.
    pub registered_result: Value,
    /// The answer of `finish`, once finished.
    pub finished: Option<Value>,
    /// The call activity made by `finish`.
    pub activity_id: Option<u64>,
    /// The attached recording.
    pub record: Option<Value>,
    /// Attached transcriptions.
    pub transcripts: Vec<Value>,
}

/// An issued token.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Token {
    /// The user it acts for.
    pub user_id: u64,
    /// Expiry (Unix seconds, fractional).
    pub expires: f64,
}

/// OAuth state.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Tokens {
    /// Access tokens.
    pub access: BTreeMap<String, Token>,
    /// Refresh tokens still valid (rotated on each use).
    pub refresh: BTreeMap<String, Token>,
    /// Authorization codes (30 s).
    pub codes: BTreeMap<String, Token>,
}

/// Everything the portal knows.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Store {
    /// Leads.
    pub leads: Table,
    /// Contacts.
    pub contacts: Table,
    /// Deals.
    pub deals: Table,
    /// Companies.
    #[serde(default)]
    pub companies: Table,
    /// Users, status lists, pipelines, currencies, custom fields.
    #[serde(default)]
    pub directory: Directory,
    /// Event handlers bound with `event.bind`: (event, handler URL).
    #[serde(default)]
    pub handlers: Vec<(String, String)>,
    /// The application token events carry (`auth[application_token]`), once installed.
    #[serde(default)]
    pub application_token: Option<String>,
    /// The application's own handler (its install path), which robots' handlers must share
    /// a host with (`bizproc-robot-add`).
    #[serde(default)]
    pub app_handler: Option<String>,
    /// Robots the application registered, by code.
    #[serde(default)]
    pub robots: BTreeMap<String, crate::bizproc::Robot>,
    /// Robots managers put on stages.
    #[serde(default)]
    pub placements: Vec<crate::bizproc::Placement>,
    /// Robot runs and the application's answers.
    #[serde(default)]
    pub robot_runs: Vec<crate::bizproc::Run>,
    /// The last multifield entry id.
    pub last_multi_id: u64,
    /// Timeline comments in their list form.
    pub comments: Vec<Map<String, Value>>,
    /// Activities in their list form (`COMMUNICATIONS` included).
    pub activities: Vec<Map<String, Value>>,
    /// External calls.
    pub calls: Vec<Call>,
    /// The last transcript id.
    pub last_transcript_id: u64,
    /// The last file id.
    pub last_file_id: u64,
    /// OAuth tokens.
    pub tokens: Tokens,
    /// The portal's `member_id`.
    pub member_id: String,
}

impl Store {
    /// The table of a kind.
    pub(crate) fn table(&self, kind: Kind) -> &Table {
        match kind {
            Kind::Lead => &self.leads,
            Kind::Contact => &self.contacts,
            Kind::Deal => &self.deals,
            Kind::Company => &self.companies,
        }
    }

    /// The table of a kind, mutably.
    pub(crate) fn table_mut(&mut self, kind: Kind) -> &mut Table {
        match kind {
            Kind::Lead => &mut self.leads,
            Kind::Contact => &mut self.contacts,
            Kind::Deal => &mut self.deals,
            Kind::Company => &mut self.companies,
        }
    }

    /// Whether a CRM entity exists.
    pub(crate) fn exists(&self, kind: Kind, id: u64) -> bool {
        self.table(kind).rows.contains_key(&id)
    }

    /// The next comment id.
    pub(crate) fn next_comment_id(&self) -> u64 {
        self.comments.len() as u64 + 1
    }

    /// The next activity id.
    pub(crate) fn next_activity_id(&self) -> u64 {
        self.activities.len() as u64 + 1
    }
}

/// The state file's layout, as written.
#[derive(Serialize)]
struct StateFileRef<'a> {
    /// The layout version.
    version: u32,
    /// The data.
    store: &'a Store,
}

/// The state file's layout, as read.
#[derive(Deserialize)]
struct StateFile {
    /// The layout version.
    version: u32,
    /// The data.
    store: Store,
}

/// Loads a state file; a missing file is an empty portal.
pub(crate) fn load(path: &Path) -> Result<Option<Store>, PortalError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(PortalError::StateRead {
                path: path.to_owned(),
                source,
            });
        }
    };
    let file: StateFile =
        serde_json::from_slice(&bytes).map_err(|source| PortalError::StateParse {
            path: path.to_owned(),
            source,
        })?;
    if file.version != 1 {
        return Err(PortalError::StateParse {
            path: path.to_owned(),
            source: serde::de::Error::custom(format!("unknown version {}", file.version)),
        });
    }
    Ok(Some(file.store))
}

/// Saves the store atomically: a temporary file next to `path`, then a rename.
pub(crate) fn save(path: &Path, store: &Store) -> std::io::Result<()> {
    let file = StateFileRef { version: 1, store };
    let bytes = serde_json::to_vec_pretty(&file).map_err(std::io::Error::other)?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp{}", std::process::id()));
    let tmp = std::path::PathBuf::from(tmp);
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}
