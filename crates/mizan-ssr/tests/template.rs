//! Components rendered into minijinja templates.
#![cfg(feature = "minijinja")]

mod support;

use minijinja::{Environment, context};
use mizan_ssr::{Ssr, SsrError};

fn env() -> Environment<'static> {
    let mut env = Environment::new();
    Ssr::install(&mut env);
    env.add_template(
        "page.html",
        "<h1>{{ title }}</h1>{{ ssr({'mode': 'none'}, url='/a') }}<hr>{{ ssr({'mode': 'throw'}) }}|{{ '\u{1}' }}",
    )
    .expect("template");
    env.add_template("broken.html", "{{ ssr(3) }}")
        .expect("template");
    env
}

#[tokio::test]
async fn a_template_embeds_rendered_components_and_a_failed_one_leaves_its_place_empty() {
    let ssr = Ssr::start(support::config(support::fixture("bundle.mjs"), 2))
        .await
        .expect("starts");
    let env = env();
    let page = ssr
        .render_template(&env, "page.html", context! { title => "<Todos>" })
        .await
        .expect("renders");
    // escaped as the template says; the component's markup in place; the failed one empty
    assert!(
        page.starts_with("<h1>&lt;Todos&gt;</h1><p id=\"who\">"),
        "{page}"
    );
    assert!(page.contains("<hr>|\u{1}"), "{page}");
    assert!(!page.contains("mizan-ssr-"), "{page}");

    let error = ssr
        .render_template(&env, "broken.html", context! {})
        .await
        .expect_err("props");
    assert!(
        matches!(error, SsrError::Template(ref m) if m.contains("props must be a map")),
        "{error}"
    );

    // outside render_template the function says so
    let error = env
        .get_template("broken.html")
        .expect("t")
        .render(context! {})
        .expect_err("no collector");
    assert!(
        error.to_string().contains("Ssr::render_template"),
        "{error}"
    );
}
