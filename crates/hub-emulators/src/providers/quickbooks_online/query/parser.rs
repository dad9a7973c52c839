//! The statement grammar the emulator reads (keywords in any case):
//!
//! ```text
//! SELECT { * | COUNT(*) } FROM Entity
//!   [WHERE Field { = | < | > | <= | >= | != } value | Field IN (value, …) | Field LIKE 'x%' [AND …]]
//!   [ORDERBY Field [ASC | DESC] [, …]]  [STARTPOSITION n]  [MAXRESULTS m]
//! ```
//!
//! Values are quoted strings, numbers or `true` / `false`. Anything else is QBO's 4000.

use super::lexer::{Located, Token, tokenize};
use crate::providers::quickbooks_online::fault::QboFault;

/// `*` or `COUNT(*)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Projection {
    All,
    Count,
}

/// A literal in a condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Literal {
    Text(String),
    Number(String),
    Boolean(bool),
}

impl Literal {
    /// The literal as text (`'a'` → `a`, `10` → `10`).
    pub fn text(&self) -> String {
        match self {
            Self::Text(text) | Self::Number(text) => text.clone(),
            Self::Boolean(flag) => flag.to_string(),
        }
    }
}

/// One `WHERE` condition (they are all joined by `AND`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Condition {
    Compare { field: String, operator: &'static str, value: Literal },
    In { field: String, values: Vec<Literal> },
    Like { field: String, pattern: String },
}

impl Condition {
    pub fn field(&self) -> &str {
        match self {
            Self::Compare { field, .. } | Self::In { field, .. } | Self::Like { field, .. } => field,
        }
    }
}

/// One `ORDERBY` key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Order {
    pub field: String,
    pub descending: bool,
}

/// A parsed statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Statement {
    pub projection: Projection,
    pub entity: String,
    pub conditions: Vec<Condition>,
    pub order: Vec<Order>,
    pub start_position: Option<i64>,
    pub max_results: Option<i64>,
}

struct Parser {
    tokens: Vec<Located>,
    position: usize,
    end_column: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position).map(|located| &located.token)
    }

    fn advance(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.position).map(|located| located.token.clone());
        self.position += 1;
        token
    }

    fn error(&self, expected: &str) -> QboFault {
        let (found, column) = match self.tokens.get(self.position) {
            Some(located) => (located.token.describe(), located.column),
            None => ("<EOF>".to_owned(), self.end_column),
        };
        QboFault::query_parse(format!(
            "Encountered \" {found} \" at line 1, column {column}.\nWas expecting one of: {expected}"
        ))
    }

    fn keyword(&mut self, keyword: &str) -> Result<(), QboFault> {
        if self.peek().is_some_and(|token| token.is_keyword(keyword)) {
            self.position += 1;
            Ok(())
        } else {
            Err(self.error(&format!("\"{}\"", keyword.to_ascii_uppercase())))
        }
    }

    fn accept_keyword(&mut self, keyword: &str) -> bool {
        let found = self.peek().is_some_and(|token| token.is_keyword(keyword));
        if found {
            self.position += 1;
        }
        found
    }

    fn expect(&mut self, wanted: &Token) -> Result<(), QboFault> {
        if self.peek() == Some(wanted) {
            self.position += 1;
            Ok(())
        } else {
            Err(self.error(&format!("\"{}\"", wanted.describe())))
        }
    }

    /// A field or entity name (not a keyword of the grammar).
    fn name(&mut self, what: &str) -> Result<String, QboFault> {
        const RESERVED: [&str; 10] =
            ["select", "from", "where", "and", "in", "like", "orderby", "startposition", "maxresults", "order"];
        match self.peek() {
            Some(Token::Word(word)) if !RESERVED.iter().any(|reserved| word.eq_ignore_ascii_case(reserved)) => {
                let word = word.clone();
                self.position += 1;
                Ok(word)
            }
            _ => Err(self.error(what)),
        }
    }

    fn literal(&mut self) -> Result<Literal, QboFault> {
        match self.peek() {
            Some(Token::Text(text)) => {
                let text = text.clone();
                self.position += 1;
                Ok(Literal::Text(text))
            }
            Some(Token::Number(number)) => {
                let number = number.clone();
                self.position += 1;
                Ok(Literal::Number(number))
            }
            Some(token) if token.is_keyword("true") || token.is_keyword("false") => {
                let flag = token.is_keyword("true");
                self.position += 1;
                Ok(Literal::Boolean(flag))
            }
            _ => Err(self.error("<STRING> <INTEGER> <DECIMAL> \"true\" \"false\"")),
        }
    }

    fn integer(&mut self) -> Result<i64, QboFault> {
        match self.peek() {
            Some(Token::Number(number)) if number.parse::<i64>().is_ok() => {
                let value = number.parse().unwrap_or_default();
                self.position += 1;
                Ok(value)
            }
            // QBO also takes the integer quoted.
            Some(Token::Text(text)) if text.trim().parse::<i64>().is_ok() => {
                let value = text.trim().parse().unwrap_or_default();
                self.position += 1;
                Ok(value)
            }
            _ => Err(self.error("<INTEGER>")),
        }
    }

    fn condition(&mut self) -> Result<Condition, QboFault> {
        let field = self.name("<IDENTIFIER>")?;
        if self.accept_keyword("in") {
            self.expect(&Token::Open)?;
            let mut values = vec![self.literal()?];
            while self.peek() == Some(&Token::Comma) {
                self.position += 1;
                values.push(self.literal()?);
            }
            self.expect(&Token::Close)?;
            return Ok(Condition::In { field, values });
        }
        if self.accept_keyword("like") {
            return match self.literal()? {
                Literal::Text(pattern) => Ok(Condition::Like { field, pattern }),
                _ => {
                    self.position -= 1;
                    Err(self.error("<STRING>"))
                }
            };
        }
        match self.advance() {
            Some(Token::Operator(operator)) => Ok(Condition::Compare { field, operator, value: self.literal()? }),
            _ => {
                self.position -= 1;
                Err(self.error("\"=\" \"<\" \">\" \"<=\" \">=\" \"!=\" \"IN\" \"LIKE\""))
            }
        }
    }

    fn statement(&mut self) -> Result<Statement, QboFault> {
        self.keyword("select")?;
        let projection = if self.peek() == Some(&Token::Star) {
            self.position += 1;
            Projection::All
        } else if self.accept_keyword("count") {
            self.expect(&Token::Open)?;
            self.expect(&Token::Star)?;
            self.expect(&Token::Close)?;
            Projection::Count
        } else {
            return Err(self.error("\"*\" \"COUNT(*)\" (the emulator does not select single fields)"));
        };
        self.keyword("from")?;
        let entity = self.name("<ENTITY>")?;
        let mut statement = Statement {
            projection,
            entity,
            conditions: Vec::new(),
            order: Vec::new(),
            start_position: None,
            max_results: None,
        };
        if self.accept_keyword("where") {
            statement.conditions.push(self.condition()?);
            while self.accept_keyword("and") {
                statement.conditions.push(self.condition()?);
            }
        }
        if self.accept_keyword("orderby") || (self.accept_keyword("order") && self.by()?) {
            loop {
                let field = self.name("<IDENTIFIER>")?;
                let descending = if self.accept_keyword("desc") {
                    true
                } else {
                    self.accept_keyword("asc");
                    false
                };
                statement.order.push(Order { field, descending });
                if self.peek() != Some(&Token::Comma) {
                    break;
                }
                self.position += 1;
            }
        }
        // STARTPOSITION and MAXRESULTS, in either order.
        for _ in 0..2 {
            if statement.start_position.is_none() && self.accept_keyword("startposition") {
                statement.start_position = Some(self.integer()?);
            } else if statement.max_results.is_none() && self.accept_keyword("maxresults") {
                statement.max_results = Some(self.integer()?);
            }
        }
        if self.peek().is_some() {
            return Err(self.error("\"WHERE\" \"AND\" \"ORDERBY\" \"STARTPOSITION\" \"MAXRESULTS\" <EOF>"));
        }
        Ok(statement)
    }

    fn by(&mut self) -> Result<bool, QboFault> {
        self.keyword("by")?;
        Ok(true)
    }
}

/// Parses one statement.
pub(crate) fn parse(statement: &str) -> Result<Statement, QboFault> {
    let tokens = tokenize(statement)?;
    Parser { tokens, position: 0, end_column: statement.chars().count() + 1 }.statement()
}

#[cfg(test)]
mod tests {
    use super::{Condition, Literal, Order, Projection, parse};

    #[test]
    fn reads_the_subset_the_hub_uses_in_any_case() {
        let statement = parse(
            "SeLeCt * FROM Invoice WHERE CustomerRef IN ('1', '2') and MetaData.LastUpdatedTime > '2026-01-01' \
             ORDERBY TxnDate DESC, Id STARTPOSITION 11 maxresults 10",
        )
        .expect("parses");
        assert_eq!(statement.projection, Projection::All);
        assert_eq!(statement.entity, "Invoice");
        assert_eq!(
            statement.conditions,
            vec![
                Condition::In {
                    field: "CustomerRef".into(),
                    values: vec![Literal::Text("1".into()), Literal::Text("2".into())]
                },
                Condition::Compare {
                    field: "MetaData.LastUpdatedTime".into(),
                    operator: ">",
                    value: Literal::Text("2026-01-01".into())
                },
            ]
        );
        assert_eq!(
            statement.order,
            vec![Order { field: "TxnDate".into(), descending: true }, Order { field: "Id".into(), descending: false }]
        );
        assert_eq!((statement.start_position, statement.max_results), (Some(11), Some(10)));
        let count =
            parse("select count(*) from Customer where Active = true maxresults 5 startposition 1").expect("parses");
        assert_eq!(count.projection, Projection::Count);
        assert_eq!((count.start_position, count.max_results), (Some(1), Some(5)));
    }

    #[test]
    fn malformed_statements_are_4000_with_the_column() {
        for bad in [
            "",
            "select from Invoice",
            "select * Invoice",
            "select * from",
            "select * from Invoice where",
            "select * from Invoice where DocNumber",
            "select * from Invoice where DocNumber = ",
            "select * from Invoice where DocNumber = '1' or DocNumber = '2'",
            "select * from Invoice maxresults many",
            "select * from Invoice where Id in ('1'",
            "select Id, DocNumber from Invoice",
        ] {
            let fault = parse(bad).expect_err(bad);
            assert_eq!(fault.code(), "4000", "{bad}");
            assert!(fault.detail().contains("column"), "{bad}: {}", fault.detail());
        }
    }
}
