//! The programs others wrote that unit tests run, installed in `tests/tools` by
//! `.ci/install-test-tools` (`npm ci`): GitHub's webhook signing library, Microsoft's Adaptive
//! Cards SDK. A missing install fails the test that needs it.
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn tools_dir(package: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/tools");
    assert!(
        dir.join("node_modules").join(package).is_dir(),
        "the test tools are missing: run .ci/install-test-tools (it runs npm ci in {})",
        dir.display()
    );
    dir
}

/// Runs an ES module with node in the test tools dir (which must hold `package`), `body` on
/// its standard input; returns its standard output, trimmed.
pub fn node(package: &str, script: &str, env: &[(&str, &str)], body: &[u8]) -> String {
    let mut child = Command::new("node")
        .arg("--input-type=module")
        .arg("-e")
        .arg(script)
        .current_dir(tools_dir(package))
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node is installed (.ci/install-test-tools)");
    child.stdin.take().unwrap().write_all(body).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "node failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// What Microsoft's Adaptive Cards SDK (`adaptivecards`) finds wrong when it parses `card` and
/// validates its properties: one message per problem, none for a good card.
pub fn adaptive_card_problems(card: &serde_json::Value) -> Vec<String> {
    let out = node(
        "adaptivecards",
        "import { createRequire } from 'node:module';
         import fs from 'node:fs';
         const require = createRequire(process.cwd() + '/');
         const AC = require('adaptivecards/dist/adaptivecards.js');
         const json = JSON.parse(fs.readFileSync(0, 'utf8'));
         const card = new AC.AdaptiveCard();
         const ctx = new AC.SerializationContext();
         card.parse(json, ctx);
         const problems = [];
         for (let i = 0; i < ctx.eventCount; i++) problems.push(ctx.getEventAt(i).message);
         for (const e of card.validateProperties().validationEvents) problems.push(e.message);
         console.log(JSON.stringify(problems));",
        &[],
        card.to_string().as_bytes(),
    );
    serde_json::from_str(&out).expect("the script prints a JSON list")
}
