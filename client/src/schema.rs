//! The contracts' enums as OpenAPI string enums, their values from the generated types (never
//! listed here). For the gateway that serves the API's document.

use utoipa::openapi::{ObjectBuilder, schema::Type};

macro_rules! enum_schemas {
    ($($name:ident: $ty:ty),* $(,)?) => {$(
        /// The OpenAPI schema of the enum: a string, one of its snake_case names.
        pub fn $name() -> utoipa::openapi::Object {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(<$ty>::ALL.map(|v| v.as_str())))
                .build()
        }
    )*};
}

enum_schemas! {
    member_status: timebank_bindings::types::MemberStatus,
    risk_level: timebank_bindings::types::RiskLevel,
    credential_kind: timebank_bindings::types::CredentialKind,
    purpose: timebank_bindings::types::Purpose,
    monitor_action: timebank_bindings::types::MonitorAction,
    case_status: timebank_bindings::types::CaseStatus,
    case_kind: timebank_bindings::types::CaseKind,
    hold_status: timebank_bindings::types::HoldStatus,
    activity_kind: timebank_bindings::types::ActivityKind,
    activity_status: timebank_bindings::types::ActivityStatus,
    participation_status: timebank_bindings::types::ParticipationStatus,
    service_status: timebank_bindings::types::ServiceStatus,
}
