"""The words a person writes instead of a secret, sorted by how much each one decides.

Kept apart from the rules so the lists can grow without touching the logic. Every set is
lower case; the rules lower-case a value's tokens before looking them up.
"""

from __future__ import annotations


def wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


#: Words that on their own say "nothing real here"; the first one found names the kind.
MARKERS = wordset(
    "changeme change replaceme replace todo tbd fixme dummy example examples sample samples "
    "test testing tests placeholder redacted insert enter paste put fill your yours xxx foo "
    "bar baz qux foobar fake mock demo notreal unset nothing hidden filtered masked secret "
    "password passwd pwd passphrase default insecure fixture fixtures stub bogus invalid "
    # words that say "someone must still supply this"
    "required mandatory "
    # the same markers in the other languages config files are written in (es, pt, fr, de)
    "secreto segredo geheim geheimnis passwort kennwort contrasena senha motdepasse cambiar "
    "cambiame changer alterar mudar aendern ejemplo exemplo beispiel exemple "
    # and in Dutch, Italian, the Nordic languages and Polish (nl/it/sv/no/da/fi/pl)
    "wachtwoord voorbeeld segreto segreta esempio hemlig hemligt losenord exempel hemmelig "
    "passord adgangskode eksempel salasana haslo"
)
#: Words that fill out placeholder phrases ("my-api-key-here") but decide nothing alone.
FILLERS = wordset(
    "a an the my me mine our here there this that it to in of for with goes go and or be "
    "is not no real actual own set add generate generated some any new value values str "
    "string text long short random strong secure complex unique very super top please now "
    "later key keys token tokens api apikey access auth authorization bearer credential "
    "credentials secrets pass password1 pw private public client id app application service "
    "account user username admin root login session cookie signing encryption hash salt jwt "
    "webhook hook url uri dsn sid pat sk org project dev development local localhost prod "
    "production staging stage env environment db database server host name bot personal "
    # the other deployment stages a default is named for ("drupal-ci", "app_qa")
    "ci qa uat sandbox preview "
    "ssh pem cert license master shared sso oauth refresh openai anthropic github gitlab "
    "stripe slack aws amazon google gcp azure twilio sendgrid vercel pinecone pulumi docker "
    "dockerhub npm pypi gong lambda snowflake sentry redis postgres postgresql mysql mongo "
    "mongodb rabbitmq supabase firebase heroku cloudflare datadog do use only never commit "
    "run output command openssl rand hex base64 bit bits char chars characters length least "
    "at abc xyz "
    # pointers to somewhere else ("same-as-above", "see-docs", "ask-admin")
    "same as above below see check ask contact team docs doc documentation readme wiki "
    "previous earlier elsewhere provided optional from get copy via console "
    "dashboard portal settings config "
    # protocols, digests and stores that name what a credential is for
    "smtp imap mail email ftp sftp ldap vpn wifi s3 gcs sha sha1 sha256 sha512 md5 hmac rsa "
    "aes bcrypt argon2 kms iam anon role 1password bitwarden lastpass keepass vault "
    # which one of several ("old-secret", "current_password")
    "old current "
    # es/pt/fr/de fillers: "tu-clave-aqui", "votre-cle-ici", "dein-schluessel-hier"
    "tu votre mein dein aqui ici hier clave chave schluessel "
    "produccion producao produktion"
)
#: Self-hosted products whose name is their documented or habitual default password
#: (``grafana``, ``tomcat``, ``vagrant``, the Raspberry Pi's ``raspberry``): the value names
#: the software, it was not chosen.
PRODUCT_DEFAULTS = wordset(
    "grafana kibana elasticsearch jenkins gitlab sonarqube minio keycloak airflow metabase "
    "odoo wordpress drupal joomla magento zabbix nagios portainer traefik tomcat vagrant "
    "raspberry ubnt cassandra neo4j couchdb mariadb mongodb influxdb kafka zookeeper solr "
    "mosquitto emqx nextcloud gitea ansible jupyter pgadmin phpmyadmin hasura strapi directus "
    "consul superset mattermost rundeck graylog openldap"
)
VOCABULARY = MARKERS | FILLERS | PRODUCT_DEFAULTS
CREDENTIAL_NOUNS = ("key", "token", "credential", "pass")
#: Markers looked for inside run-together words (``mysecretpassword``), most telling first.
MARKER_ORDER = (
    "changeme", "replaceme", "placeholder", "redacted", "example", "sample", "dummy", "your",
    "todo", "fixme", "insert", "enter", "paste", "fake", "mock", "test", "foo", "secret",
    "password",
)  # fmt: skip
#: Markers long enough that a word merely starting or ending with one (``passwordnya``,
#: ``mysecretz``) is still that marker: a short remainder cannot hide a random key.
AFFIX_MARKERS = tuple(m for m in MARKER_ORDER if len(m) >= 6)
TWO_LETTER = wordset("a my me id db to in of it an is be or no go pw sk as s3 ci qa")

NULL_LIKE = wordset(
    "null none nil undefined n/a na - -- ~ nan (none) <none> <nil> <null> <empty> (empty) "
    "empty unset notset not_set (unset) '' \"\" <> {} []"
)
#: The last word of a PascalCase type name (``SecretStr``, ``PasswordField``): code, not a
#: value, so the vocabulary inside it decides nothing.
TYPE_SUFFIXES = wordset(
    "str string text bytes field type types dict list model class schema input param params "
    "config options provider manager store error exception"
)
#: Type names written where the value should go (``SECRET_KEY = 'string'``).
TYPE_NAMES = wordset("string str text value number int integer bool boolean char chars bytes")
#: Account names that make a default credential when a password is built from them
#: (``grafana_admin``, ``rabbit-user``).
DEFAULT_ACCOUNTS = wordset("admin administrator root user guest superuser sysadmin demo")
#: Short words that glue a sentence together; only the "reads like prose" rule uses them.
STOPWORDS = wordset(
    "to for the a an of in on at by with from and or is are be was this that these your you "
    "it its use used using when which will can should must need needs needed if not no also "
    "all each per as same above below see here there what where how e g eg ie etc into"
)
#: Glue a marker word can carry in a phrase (``secret must be more than 32 characters``);
#: without a marker these words decide nothing.
GLUE = STOPWORDS | wordset("must more than least less long most should remember make sure")
#: Well-known default passwords (vendor defaults and the top of every leaked-password list).
COMMON_PASSWORDS = wordset(
    "123456 1234567 12345678 123456789 1234567890 12345 1234 111111 000000 123123 654321 "
    "qwerty qwertyuiop qwerty123 abc123 abcd1234 abcdef password1 passw0rd letmein monkey "
    "dragon iloveyou trustno1 welcome welcome1 admin admin123 root toor changeit guest "
    "master shadow sunshine princess hunter2 login secret123 pass123 test123 1qaz2wsx "
    "qazwsx zxcvbnm asdfgh postgres mysql redis rabbitmq default 1q2w3e4r 1q2w3e4r5t q1w2e3r4 "
    "zaq12wsx qwe123 asdf1234 1qazxsw2 minioadmin"
)
#: More of the yearly "most common passwords" tops (SplashData, NordPass), matched only as
#: the whole value: ``Football2024!`` was typed to meet a policy, ``football`` was not.
TOP_PASSWORDS = wordset(
    "hello freedom whatever football baseball superman batman starwars mustang access flower "
    "loveme 666666 121212 7777777 987654321 azerty aa123456"
)
#: A word that asks for a value to be generated rather than being one (``auto``).
DIRECTIVES = wordset("auto autogenerate autogenerated generate random")
WEAK = COMMON_PASSWORDS | MARKERS | PRODUCT_DEFAULTS
#: Leetspeak digits and symbols back to the letters they stand for (``p4ssw0rd``).
LEET = str.maketrans("013457@$", "oieastas")
DEFAULT_URL_PASSWORDS = wordset(
    "password pass passwd pwd secret changeme example test admin root postgres mysql redis "
    "guest default mongo rabbitmq user"
)
#: Endings stripped before a word is looked up again (``tester``, ``examples``, ``mocked``).
SUFFIXES = ("ers", "er", "ing", "ed", "s")
