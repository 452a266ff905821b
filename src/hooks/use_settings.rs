use yew::prelude::*;

use super::storage;
use crate::state::Settings;

const KEY: &str = "mailroom.settings";

/// The settings saved by an earlier visit, or the defaults.
pub fn load_settings() -> Settings {
    storage()
        .and_then(|s| s.get_item(KEY).ok().flatten())
        .map(|text| Settings::from_storage(&text))
        .unwrap_or_default()
}

/// Saves the settings whenever they change.
#[hook]
pub fn use_persist_settings(settings: Settings) {
    use_effect_with(settings, |settings| {
        if let Some(s) = storage() {
            let _ = s.set_item(KEY, &settings.to_storage());
        }
    });
}
