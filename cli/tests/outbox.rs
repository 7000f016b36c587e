//! `locker outbox`: what waits for the backbone, a drain by hand, and a refused item mended.

mod common;

use common::field::{Field, citizen};
use common::*;
use locker_sandbox::Resident;

fn status(f: &Field) -> serde_json::Value {
    serde_json::from_str(&ok(&f.run(&["outbox", "status", "--json"]))).unwrap()
}

#[test]
fn a_worker_sees_what_waits_drains_it_and_mends_or_discards_a_refusal() {
    let f = Field::new();
    for i in 0..3 {
        f.capture_offline(i);
    }
    let s = status(&f);
    assert_eq!((s["waiting"].as_u64(), s["wedged"].as_u64()), (Some(3), Some(0)), "{s}");
    assert_eq!(s["by_kind"][0]["kind"], "enrolment.submit");
    let text = ok(&f.run(&["outbox", "status"]));
    assert!(text.contains("3 waiting, 0 wedged") && text.contains("the oldest has waited"), "{text}");

    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let o = f.run(&["outbox", "drain", "--backbone", &format!("http://{dead}")]);
    let (out, err) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.status.code(), Some(9), "{err}");
    assert!(
        out.contains("0 delivered") && err.contains("the drain stopped early") && err.contains("(offline)"),
        "{out}{err}"
    );

    // Citizen 3's Aadhaar record names someone else: the backbone refuses it.
    let c = citizen(3);
    f.sandbox.add_resident(Resident {
        aadhaar: c.aadhaar.clone(),
        name: "Someone Else".into(),
        gender: "M".into(),
        year_of_birth: 1950,
        mobile: c.mobile.clone(),
    });
    f.capture_offline(3);
    let v: serde_json::Value = serde_json::from_str(&ok(&f.run(&["outbox", "drain", "--json"]))).unwrap();
    assert_eq!(
        (v["delivered"].as_u64(), v["wedged"].as_u64(), v["waiting"].as_u64()),
        (Some(3), Some(1), Some(0)),
        "{v}"
    );
    let s = status(&f);
    let w = &s["wedged_items"][0];
    assert!(w["reason"].as_str().unwrap().contains("do not match"), "{s}");
    let id = w["id"].as_i64().unwrap().to_string();
    ok(&f.run(&["outbox", "retry", &id]));
    assert_eq!(status(&f)["waiting"], 1);
    ok(&f.run(&["outbox", "drain"]));
    assert_eq!(status(&f)["wedged"], 1, "still refused");
    ok(&f.run(&["outbox", "discard", &id]));
    let s = status(&f);
    assert_eq!((s["waiting"].as_u64(), s["wedged"].as_u64()), (Some(0), Some(0)), "{s}");
    let o = f.run(&["outbox", "discard", &id]);
    assert_eq!(o.status.code(), Some(6), "no such item");
}
