// Written by hand to match migrations/sqlite (every query in the test suite runs against them).

diesel::table! {
    providers (id) {
        id -> BigInt,
        external_id -> Text,
        name -> Text,
        organization -> Nullable<Text>,
        description -> Nullable<Text>,
        categories -> Text,
        lat -> Double,
        lon -> Double,
        public_lat -> Nullable<Double>,
        public_lon -> Nullable<Double>,
        confidential -> Bool,
        address -> Nullable<Text>,
        locality -> Nullable<Text>,
        district -> Nullable<Text>,
        state -> Nullable<Text>,
        postal_code -> Nullable<Text>,
        country -> Text,
        phone -> Nullable<Text>,
        hotline -> Nullable<Text>,
        sms -> Nullable<Text>,
        intake_phone -> Nullable<Text>,
        email -> Nullable<Text>,
        website -> Nullable<Text>,
        languages -> Text,
        hours -> Nullable<Text>,
        open_24_7 -> Bool,
        eligibility -> Nullable<Text>,
        cost -> Nullable<Text>,
        wheelchair -> Text,
        verified_on -> Nullable<Text>,
        status -> Text,
        created_at -> Text,
        updated_at -> Text,
        drawn_lat -> Nullable<Double>,
        drawn_lon -> Nullable<Double>,
        location_precision -> Text,
        change_seq -> BigInt,
        created_seq -> BigInt,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        name -> Text,
        role -> Text,
        token_hash -> Text,
        created_at -> Text,
        revoked_at -> Nullable<Text>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Text,
        actor -> Text,
        action -> Text,
        detail -> Text,
        records -> BigInt,
    }
}

diesel::table! {
    imports (id) {
        id -> BigInt,
        created_at -> Text,
        actor -> Text,
        source -> Text,
        mode -> Text,
        on_error -> Text,
        reverts_import -> Nullable<BigInt>,
        reverted_by -> Nullable<BigInt>,
        report -> Text,
    }
}

diesel::table! {
    provider_versions (id) {
        id -> BigInt,
        import_id -> BigInt,
        provider_id -> BigInt,
        before_json -> Nullable<Text>,
        after_json -> Nullable<Text>,
    }
}

diesel::table! {
    created_runs (id) {
        id -> BigInt,
        import_id -> BigInt,
        first_id -> BigInt,
        last_id -> BigInt,
        digests -> Binary,
    }
}

diesel::table! {
    change_sequence (id) {
        id -> BigInt,
        seq -> BigInt,
        reload_seq -> BigInt,
        feed_from -> BigInt,
    }
}

diesel::table! {
    provider_tombstones (provider_id) {
        provider_id -> BigInt,
        change_seq -> BigInt,
    }
}

diesel::table! {
    server_keys (name) {
        name -> Text,
        value -> Text,
    }
}

diesel::table! {
    /// diesel_migrations' own table: read to check a read replica's schema.
    #[sql_name = "__diesel_schema_migrations"]
    diesel_schema_migrations (version) {
        version -> Text,
    }
}
