//! Reading an enum tagged by `type` without buffering it.
//!
//! serde's derived internally tagged form buffers every object into its `Content` tree
//! before it can look at `type`, then types the tree: for a qualification record that is
//! most of what the host spends checking a step's output, and every step of a module
//! pays it for its event. Here the tag is read first and the rest of the object
//! deserialises straight into the variant; an object whose tag comes later is buffered
//! as a `serde_json` map and read the same way. A tagged value is an object: the array
//! form serde's derived reader also takes (`["listen", 5000]`) is not part of the ABI
//! and is refused. In a format whose scalars are typed by guessing (YAML), a value
//! buffered before the tag is typed by the guess (`digits: 1234` is a number), as it was
//! under serde's derived reader; with the tag first it is typed by its field.

use serde::Deserialize;
use serde::de::value::{BorrowedStrDeserializer, MapAccessDeserializer, StringDeserializer};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::marker::PhantomData;

/// An enum whose wire form is an object tagged by `type`.
pub(crate) trait Tagged: Sized {
    /// The `type` tags, read as a string (`#[serde(variant_identifier)]`).
    type Kind: for<'de> Deserialize<'de>;

    /// What a reader expects, for error messages (`"an action: an object with a `type`"`).
    const EXPECTING: &'static str;

    /// The value of `kind` whose fields (all but `type`) `body` holds.
    fn of_kind<'de, D: Deserializer<'de>>(kind: Self::Kind, body: D) -> Result<Self, D::Error>;
}

/// Reads a [`Tagged`] enum: `deserializer.deserialize_map(TaggedVisitor::new())`.
pub(crate) struct TaggedVisitor<T>(PhantomData<T>);

impl<T> TaggedVisitor<T> {
    /// A visitor for `T`.
    pub(crate) fn new() -> Self {
        TaggedVisitor(PhantomData)
    }
}

impl<'de, T: Tagged> Visitor<'de> for TaggedVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let first = map.next_key::<Key<'de>>()?;
        match first {
            Some(key) if key.is_tag() => {
                let kind = map.next_value::<T::Kind>()?;
                T::of_kind(kind, MapAccessDeserializer::new(AfterTag(map)))
            }
            _ => buffered(first, map),
        }
    }
}

/// The body of a variant without fields: whatever else the object holds is skipped,
/// as serde's derived form skips it (even under `deny_unknown_fields`).
#[derive(Deserialize)]
pub(crate) struct NoFields {}

/// A key, borrowed from the input when it can be.
enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Key<'_> {
    fn is_tag(&self) -> bool {
        self.as_str() == "type"
    }

    fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(key) => key,
            Key::Owned(key) => key,
        }
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E: de::Error>(self, key: &'de str) -> Result<Key<'de>, E> {
                Ok(Key::Borrowed(key))
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<Key<'de>, E> {
                Ok(Key::Owned(key.to_owned()))
            }
            fn visit_string<E: de::Error>(self, key: String) -> Result<Key<'de>, E> {
                Ok(Key::Owned(key))
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// The rest of an object after its `type`: another `type` is refused, as serde's
/// derived form refuses it.
struct AfterTag<A>(A);

impl<'de, A: MapAccess<'de>> MapAccess<'de> for AfterTag<A> {
    type Error = A::Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        match self.0.next_key::<Key<'de>>()? {
            None => Ok(None),
            Some(key) if key.is_tag() => Err(de::Error::duplicate_field("type")),
            Some(Key::Borrowed(key)) => seed
                .deserialize(BorrowedStrDeserializer::new(key))
                .map(Some),
            Some(Key::Owned(key)) => seed.deserialize(StringDeserializer::new(key)).map(Some),
        }
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, A::Error> {
        self.0.next_value_seed(seed)
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

/// An object whose first key is not `type` (another SDK, or hand-written JSON):
/// buffered, then read the same way. A repeated key is refused, as the derived
/// readers refuse a repeated field (at any depth: stricter than the tag-first road
/// inside free-form values such as a slot's `value`).
fn buffered<'de, T: Tagged, A: MapAccess<'de>>(
    first: Option<Key<'de>>,
    mut map: A,
) -> Result<T, A::Error> {
    let mut object = serde_json::Map::new();
    let mut key = first.map(|key| key.as_str().to_owned());
    while let Some(name) = key {
        insert_once(&mut object, name, map.next_value_seed(Strict)?)?;
        key = map.next_key::<String>()?;
    }
    let kind = object
        .remove("type")
        .ok_or_else(|| de::Error::missing_field("type"))?;
    let kind = T::Kind::deserialize(kind).map_err(de::Error::custom)?;
    T::of_kind(kind, Value::Object(object)).map_err(de::Error::custom)
}

/// Reads any value as a `serde_json::Value`, refusing an object with a repeated key
/// (`serde_json::Value` would keep the last).
struct Strict;

impl<'de> de::DeserializeSeed<'de> for Strict {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(Strict)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Strict)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            insert_once(&mut object, key, map.next_value_seed(Strict)?)?;
        }
        Ok(Value::Object(object))
    }
}

/// Adds `key` to a buffered object, refusing it the second time.
fn insert_once<E: de::Error>(
    object: &mut serde_json::Map<String, Value>,
    key: String,
    value: Value,
) -> Result<(), E> {
    if object.contains_key(&key) {
        return Err(E::custom(format_args!("duplicate field `{key}`")));
    }
    object.insert(key, value);
    Ok(())
}
