use hub_webhooks::{ChannelNotification, DeliveryKind, ResourceState, Scheme, event_ids};

use crate::support::{Delivery, assert_refused, at, headers, secrets};

const TOKEN: &str = "channel-token-8f3a";

fn notification(token: &str, state: &str, number: &str) -> Delivery {
    Delivery::post(
        headers(&[
            ("X-Goog-Channel-ID", "chan_01HZX"),
            ("X-Goog-Channel-Token", token),
            ("X-Goog-Channel-Expiration", "Tue, 19 Nov 2030 01:13:52 GMT"),
            ("X-Goog-Resource-ID", "ret08u3rv24htgh289g"),
            ("X-Goog-Resource-URI", "https://www.googleapis.com/calendar/v3/calendars/primary/events?alt=json"),
            ("X-Goog-Resource-State", state),
            ("X-Goog-Message-Number", number),
        ]),
        b"",
    )
}

#[test]
fn the_sync_message_is_recognised_as_the_handshake() {
    let verified =
        notification(TOKEN, "sync", "1").verify(Scheme::GoogleChannelToken, &secrets(&[TOKEN]), at(0)).expect("ok");
    assert!(verified.is_handshake());
    assert_eq!(verified.event_id.as_deref(), Some("chan_01HZX:1"));
    let DeliveryKind::GoogleChannel(channel) = verified.kind else { panic!("a channel notification") };
    assert_eq!(
        channel,
        ChannelNotification {
            channel_id: "chan_01HZX".to_owned(),
            resource_id: "ret08u3rv24htgh289g".to_owned(),
            resource_state: ResourceState::Sync,
            message_number: 1,
            resource_uri: Some("https://www.googleapis.com/calendar/v3/calendars/primary/events?alt=json".to_owned()),
            channel_expiration: Some("Tue, 19 Nov 2030 01:13:52 GMT".to_owned()),
        }
    );
}

#[test]
fn a_change_notification_is_an_event_with_its_message_number() {
    let delivery = notification(TOKEN, "exists", "42");
    let verified = delivery.verify(Scheme::GoogleChannelToken, &secrets(&[TOKEN]), at(0)).expect("ok");
    assert!(!verified.is_handshake());
    assert_eq!(event_ids(Scheme::GoogleChannelToken, &delivery.request()), ["chan_01HZX:42"]);
    let gone = notification(TOKEN, "not_exists", "43").verify(Scheme::GoogleChannelToken, &secrets(&[TOKEN]), at(0));
    assert!(matches!(
        gone.expect("ok").kind,
        DeliveryKind::GoogleChannel(ChannelNotification { resource_state: ResourceState::NotExists, .. })
    ));
}

#[test]
fn a_wrong_or_missing_token_and_missing_headers_are_refused() {
    let secrets = secrets(&[TOKEN]);
    assert_refused(
        notification("guessed", "exists", "2").verify(Scheme::GoogleChannelToken, &secrets, at(0)),
        "X-Goog-Channel-Token matches none of the 1 configured token(s)",
    );
    for header in [
        "X-Goog-Channel-Token",
        "X-Goog-Channel-ID",
        "X-Goog-Resource-ID",
        "X-Goog-Resource-State",
        "X-Goog-Message-Number",
    ] {
        let missing = notification(TOKEN, "exists", "2").without_header(header);
        assert_refused(
            missing.verify(Scheme::GoogleChannelToken, &secrets, at(0)),
            &format!("missing header {header}"),
        );
    }
    let bad_number = notification(TOKEN, "exists", "two");
    assert_refused(
        bad_number.verify(Scheme::GoogleChannelToken, &secrets, at(0)),
        "malformed header X-Goog-Message-Number",
    );
}

#[test]
fn during_a_rotation_both_channel_tokens_verify() {
    let both = secrets(&[TOKEN, "renewed-channel-token"]);
    assert_eq!(
        notification(TOKEN, "exists", "3").verify(Scheme::GoogleChannelToken, &both, at(0)).expect("old").secret_index,
        0
    );
    let renewed = notification("renewed-channel-token", "exists", "3");
    assert_eq!(renewed.verify(Scheme::GoogleChannelToken, &both, at(0)).expect("new").secret_index, 1);
}
