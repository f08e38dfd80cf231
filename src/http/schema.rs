//! OpenAPI schemas for the model's value types. The model derives no framework traits, so the
//! HTTP layer describes them here, building each enum from the model's own list of values so the
//! spec cannot drift from what the parser accepts.

use crate::model::{Category, Phone, Status, Wheelchair};
use std::borrow::Cow;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::{PartialSchema, ToSchema};

/// A string schema that accepts exactly `values`.
fn string_enum<'a>(values: impl IntoIterator<Item = &'a str>, description: Option<&str>) -> RefOr<Schema> {
    ObjectBuilder::new().schema_type(Type::String).description(description).enum_values(Some(values)).into()
}

macro_rules! value_schema {
    ($ty:ty, $name:literal, $schema:expr) => {
        impl PartialSchema for $ty {
            fn schema() -> RefOr<Schema> {
                $schema
            }
        }
        impl ToSchema for $ty {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }
        }
    };
}

value_schema!(
    Category,
    "Category",
    string_enum(
        Category::ALL.map(Category::slug),
        Some("A provider category. The slug is the stable wire and CSV form."),
    )
);
value_schema!(Wheelchair, "Wheelchair", string_enum(Wheelchair::ALL.map(Wheelchair::as_str), None));
value_schema!(Status, "Status", string_enum(Status::ALL.map(Status::as_str), None));
value_schema!(
    Phone,
    "Phone",
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "A phone number as written (for display) plus its E.164 form where one can be derived.",
        ))
        .property(
            "display",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some("As the provider writes it, e.g. \"0522 230 5550\" or \"181\".")),
        )
        .required("display")
        .property(
            "e164",
            ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::String, Type::Null])).description(
                Some("\"+915222305550\"; absent for short codes and numbers without a known country prefix.",)
            ),
        )
        .into()
);
