//! Models inferred from other contracts than Memory's: sequences over state,
//! generated keys that fit their fields, writes stored only when their answer
//! is the one sent, and operations named by method and path.

use std::time::Duration;

use mimeo::Rule;

use super::*;

#[tokio::test]
async fn a_sequences_success_step_is_the_models_to_answer() {
    // `429,429,202` with --stateful: the 202 was made up and the add lost,
    // and every later add too (the last step stays).
    let rule = Rule::from_flag(&format!("POST {}=429,429,202", ids("*"))).unwrap();
    let remove = Rule::from_flag(&format!("DELETE {}/*=429,202", ids("*"))).unwrap();
    // A rule that only shapes the answer: the model still answers.
    let slow = Rule::matching(hyper::Method::GET, &format!("{}/*", ids("*")))
        .delay(mimeo::Latency::fixed(Duration::from_millis(1)));
    let server = stateful_with(
        StateOptions::default(),
        ServeOptions {
            rules: vec![rule, remove, slow],
            ..ServeOptions::default()
        },
    )
    .await;
    let base = server.url();
    let body = json!({"idType": "email", "value": "retry@x.io"}).to_string();
    let statuses = {
        let mut s = Vec::new();
        for _ in 0..3 {
            s.push(
                send(&base, "POST", &ids(PROFILE), &[], Some(&body))
                    .await
                    .status,
            );
        }
        s
    };
    assert_eq!(statuses, [429, 429, 202]);
    assert_eq!(
        values(&base, PROFILE, "email", &[]).await,
        Ok(vec!["retry@x.io".to_string()])
    );
    add(&base, PROFILE, "email", "later@x.io", &[]).await;
    assert_eq!(values(&base, PROFILE, "email", &[]).await.unwrap().len(), 2);
    // The model's answer to a step names the rule and step, as the rule's own
    // answers do (it was journaled as `state`, the rule and step lost), with
    // what the model said when it was not the success.
    let missing = format!("{}/phone", ids(PROFILE));
    assert_eq!(send(&base, "DELETE", &missing, &[], None).await.status, 429);
    assert_eq!(send(&base, "DELETE", &missing, &[], None).await.status, 404);
    let journal = send(&base, "GET", "/__admin/requests", &[], None)
        .await
        .json();
    let reasons: Vec<&serde_json::Value> = journal["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["request"]["method"] != "GET")
        .map(|r| &r["reason"])
        .rev()
        .collect();
    let origin = |i: usize| reasons[i]["rule"].as_str().unwrap().to_string();
    let step = |i: usize, s: u64, of: u64| {
        assert_eq!(reasons[i]["kind"], "rule", "{i}: {reasons:#?}");
        assert_eq!(reasons[i]["step"], s, "{i}: {reasons:#?}");
        assert_eq!(reasons[i]["of"], of, "{i}: {reasons:#?}");
    };
    for (i, s) in [1, 2, 3, 3].into_iter().enumerate() {
        step(i, s, 3);
        assert_eq!(origin(i), origin(0));
        assert!(reasons[i].get("state").is_none(), "{reasons:#?}");
    }
    step(4, 1, 2);
    step(5, 2, 2);
    assert_ne!(origin(5), origin(0));
    assert!(reasons[5]["state"].is_string(), "{reasons:#?}");
    // The shaping rule is named too (it was journaled as `state`, as if no rule
    // had applied), with no step, and the model's word when it was not a success.
    let fetches: Vec<&serde_json::Value> = journal["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["request"]["method"] == "GET")
        .filter(|r| r["request"]["url"].as_str().unwrap().ends_with("/email"))
        .map(|r| &r["reason"])
        .collect();
    assert!(!fetches.is_empty(), "{journal:#}");
    for reason in fetches {
        assert_eq!(reason["kind"], "rule", "{reason:#}");
        assert!(reason.get("step").is_none(), "{reason:#}");
        assert!(!reason["rule"].as_str().unwrap().is_empty(), "{reason:#}");
    }
    // A request whose own Prefer shaped it (its delay wins over the rule's) is
    // the model's answer, not the rule's.
    let fetch = format!("{}/email", ids(PROFILE));
    for asked in ["delay=5ms", "dynamic=true"] {
        send(&base, "GET", &fetch, &[("Prefer", asked)], None).await;
        let journal = send(&base, "GET", "/__admin/requests", &[], None)
            .await
            .json();
        let last = journal["requests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["request"]["url"].as_str() == Some(fetch.as_str()))
            .map(|r| &r["reason"]);
        assert_eq!(
            last.map(|r| &r["kind"]),
            Some(&json!("state")),
            "{journal:#}"
        );
    }
}

/// An inferred model whose key field is stricter than the path's parameter
/// (`^pet_[0-9]+$` where the path says `string`), and whose answer is
/// stricter than the request (a name of at most 3 characters).
const STRICT: &str = "openapi: 3.0.3
info: {title: strict, version: '1'}
paths:
  /pets:
    get:
      operationId: listPets
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {type: array, items: {$ref: '#/components/schemas/Pet'}}
    post:
      operationId: createPet
      requestBody:
        content:
          application/json:
            schema: {type: object, required: [name], properties: {name: {type: string}}}
      responses:
        '201':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pet'}
  /pets/{petId}:
    parameters:
      - {name: petId, in: path, required: true, schema: {type: string}}
    get:
      operationId: getPet
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pet'}
        '404': {description: no}
components:
  schemas:
    Pet:
      type: object
      required: [petId, name]
      properties:
        petId: {type: string, pattern: '^pet_[0-9]+$'}
        name: {type: string, maxLength: 3}
";

#[tokio::test]
async fn a_generated_key_fits_its_field_and_a_refused_answer_stores_nothing() {
    let server = inferred("strict.yaml", STRICT).await;
    let base = server.url();
    // The key was drawn from the path's schema alone: the 201 broke the
    // field's pattern, a 500.
    let r = send(&base, "POST", "/pets", &[], Some(r#"{"name":"Rex"}"#)).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let id = r.json()["petId"].as_str().unwrap().to_string();
    assert!(
        id.strip_prefix("pet_")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())),
        "{id}"
    );
    // A name the request allows and the answer does not: refused, and not
    // stored (it was, and every list after it was a 500 too).
    let r = send(&base, "POST", "/pets", &[], Some(r#"{"name":"Rexford"}"#)).await;
    assert_eq!(r.status, 500, "{:?}", r.body);
    assert_eq!(
        r.headers.get("mimeo-error").and_then(|v| v.to_str().ok()),
        Some("invalid-response"),
        "{:?}",
        r.headers
    );
    let list = send(&base, "GET", "/pets", &[], None).await;
    assert_eq!(list.status, 200, "{:?}", list.body);
    assert_eq!(list.json(), json!([{"petId": id, "name": "Rex"}]));
}

#[tokio::test]
async fn a_generated_key_fits_every_allof_member_declaring_its_field() {
    // `Pet: allOf [Base {petId: string}, {petId: {pattern}}]`: the key was
    // checked against the first declaration only, and every create was a 500.
    let split = STRICT.replace(
        "    Pet:
      type: object
      required: [petId, name]
      properties:
        petId: {type: string, pattern: '^pet_[0-9]+$'}
        name: {type: string, maxLength: 3}",
        "    Base:
      type: object
      properties:
        petId: {type: string}
    Pet:
      allOf:
        - $ref: '#/components/schemas/Base'
        - type: object
          required: [petId, name]
          properties:
            petId: {pattern: '^pet_[0-9]+$'}
            name: {type: string, maxLength: 3}",
    );
    assert_ne!(split, STRICT);
    let server = inferred("split.yaml", &split).await;
    let base = server.url();
    for _ in 0..2 {
        let r = send(&base, "POST", "/pets", &[], Some(r#"{"name":"Rex"}"#)).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        assert!(r.json()["petId"].as_str().unwrap().starts_with("pet_"));
    }
    let list = send(&base, "GET", "/pets", &[], None).await;
    assert_eq!(
        list.json().as_array().map(Vec::len),
        Some(2),
        "{:?}",
        list.body
    );
}

/// One create documented in two media types: `PetV1` (a name of at most 3)
/// and the v2 type (any name).
const NEGOTIATED: &str = "
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /pets:
    get:
      operationId: listPets
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {type: array, items: {$ref: '#/components/schemas/Pet'}}
    post:
      operationId: createPet
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/NewPet'}
      responses:
        '201':
          description: created
          content:
            application/json:
              schema: {$ref: '#/components/schemas/PetV1'}
            application/vnd.pet.v2+json:
              schema: {$ref: '#/components/schemas/Pet'}
  /pets/{petId}:
    get:
      operationId: getPet
      parameters:
        - {name: petId, in: path, required: true, schema: {type: string}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pet'}
components:
  schemas:
    NewPet:
      type: object
      required: [name]
      properties:
        name: {type: string}
    Pet:
      type: object
      required: [id, name]
      properties:
        id: {type: string}
        name: {type: string}
    PetV1:
      type: object
      required: [id, name]
      additionalProperties: false
      properties:
        id: {type: string}
        name: {type: string, maxLength: 3}
";

#[tokio::test]
async fn a_write_is_stored_exactly_when_the_answer_accept_picks_is_sent() {
    let server = inferred("neg.yaml", NEGOTIATED).await;
    let base = server.url();
    let body = Some(r#"{"name":"Rexford"}"#);
    // The v2 answer allows the name: stored, each create its own id (it was
    // judged by the first JSON type's schema, answered 201 and not stored, and
    // the next create was handed the same id).
    let v2 = [("accept", "application/vnd.pet.v2+json")];
    let mut ids = Vec::new();
    for _ in 0..2 {
        let r = send(&base, "POST", "/pets", &v2, body).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        ids.push(r.json()["id"].as_str().unwrap().to_string());
    }
    assert_ne!(ids[0], ids[1]);
    // The v1 answer does not: refused, and not stored.
    let json_only = [("accept", "application/json")];
    let r = send(&base, "POST", "/pets", &json_only, body).await;
    assert_eq!(r.status, 500, "{:?}", r.body);
    // An `Accept` admitting no documented type: 406, and not stored.
    let html = [("accept", "text/html")];
    let r = send(&base, "POST", "/pets", &html, body).await;
    assert_eq!(r.status, 406, "{:?}", r.body);
    let list = send(&base, "GET", "/pets", &[], None).await;
    assert_eq!(list.status, 200, "{:?}", list.body);
    let listed: Vec<String> = list
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, ids, "{:?}", list.body);
}

/// A key the path wants digits for, and the field a uuid.
const UNFIT: &str = "
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /pets:
    post:
      operationId: createPet
      requestBody:
        content:
          application/json:
            schema: {type: object, required: [name], properties: {name: {type: string}}}
      responses:
        '201':
          description: created
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pet'}
  /pets/{petId}:
    get:
      operationId: getPet
      parameters:
        - {name: petId, in: path, required: true, schema: {type: string, pattern: '^[0-9]+$'}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pet'}
        '404': {description: nf}
components:
  schemas:
    Pet:
      type: object
      required: [id, name]
      properties:
        id: {type: string, format: uuid}
        name: {type: string}
";

#[tokio::test]
async fn a_key_no_schema_of_the_contract_allows_is_its_problem_not_a_state_limit() {
    let server = inferred("unfit.yaml", UNFIT).await;
    let r = send(&server.url(), "POST", "/pets", &[], Some(r#"{"name":"x"}"#)).await;
    // It was a 507 state-limit, which says a bound of the state was reached.
    assert_eq!(r.status, 500, "{:?}", r.body);
    assert_eq!(
        r.headers.get("mimeo-error").and_then(|v| v.to_str().ok()),
        Some("invalid-response"),
        "{:?}",
        r.headers
    );
    let message = r.json()["message"].as_str().unwrap().to_string();
    for part in ["petId", "field /id", "/post/responses/201/"] {
        assert!(message.contains(part), "{message}");
    }
}

/// Two reads sharing the operationId `getItem`: the second goes by its method
/// and path.
const SHARED_ID: &str = "
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /pets/{petId}:
    get:
      operationId: getItem
      parameters:
        - {name: petId, in: path, required: true, schema: {type: string}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pet'}
        '404': {description: nf}
  /toys/{toyId}:
    get:
      operationId: getItem
      parameters:
        - {name: toyId, in: path, required: true, schema: {type: string, maxLength: 3}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pet'}
        '404': {description: nf}
components:
  schemas:
    Pet:
      type: object
      required: [name]
      properties:
        id: {type: string}
        name: {type: string}
";

#[tokio::test]
async fn an_operation_whose_operation_id_was_taken_is_named_by_its_method_and_path() {
    let contract = Arc::new(mimeo::Contract::from_text("shared.yaml", SHARED_ID).unwrap());
    // Inferred, it is in the model under its method and path (it was left
    // out: "no operationId to name it by").
    let inferred = StateModel::infer(&contract).to_yaml(&contract);
    assert!(
        inferred.contains("\"GET /toys/{toyId}\": {read: toys}"),
        "{inferred}"
    );
    // Written by hand so, it loads (it was "not in the contract").
    let model = StateModel::from_text(
        "model.yaml",
        "resources:\n  toys: {key: toyId, field: /id}\noperations:\n  \"GET /toys/{toyId}\": {read: toys}\n",
        &contract,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let server = MockServer::start(
        contract,
        ServeOptions {
            stateful: Some((Arc::new(model), StateOptions::default())),
            ..ServeOptions::default()
        },
    )
    .await
    .unwrap();
    let base = server.url();
    // The model answers it: no toy is there (the stateless mock says 200).
    let r = send(&base, "GET", "/toys/abc", &[], None).await;
    assert_eq!(r.status, 404, "{:?}", r.body);
    // A near miss of it names it as closest (it was looked up by an
    // operationId it does not have: `closest` was empty).
    let r = send(&base, "GET", "/toys/toolong", &[], None).await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    let misses = send(
        &base,
        "GET",
        "/__admin/requests/unmatched/near-misses",
        &[],
        None,
    )
    .await;
    let closest = &misses.json()["nearMisses"][0]["closest"];
    assert_eq!(closest[0]["operation"], "GET /toys/{toyId}", "{closest}");
}
