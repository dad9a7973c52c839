//! Tokens of QBO's query language: words (keywords, entity and dotted field names), quoted
//! strings with `\'` escapes, numbers, operators and punctuation, each with its column.

use crate::providers::quickbooks_online::fault::QboFault;

/// One token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token {
    /// A keyword, entity or field name (`select`, `MetaData.LastUpdatedTime`), or `true`.
    Word(String),
    /// A quoted string, unescaped.
    Text(String),
    Number(String),
    /// `=`, `<`, `>`, `<=`, `>=`, `!=`.
    Operator(&'static str),
    Star,
    Comma,
    Open,
    Close,
}

impl Token {
    /// How the parser's error names it.
    pub fn describe(&self) -> String {
        match self {
            Self::Word(word) => word.clone(),
            Self::Text(text) => format!("'{text}'"),
            Self::Number(number) => number.clone(),
            Self::Operator(operator) => (*operator).to_owned(),
            Self::Star => "*".to_owned(),
            Self::Comma => ",".to_owned(),
            Self::Open => "(".to_owned(),
            Self::Close => ")".to_owned(),
        }
    }

    /// Whether it is the keyword `keyword` (any case).
    pub fn is_keyword(&self, keyword: &str) -> bool {
        matches!(self, Self::Word(word) if word.eq_ignore_ascii_case(keyword))
    }
}

/// A token and the 1-based column it starts at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Located {
    pub token: Token,
    pub column: usize,
}

fn unexpected(character: char, column: usize) -> QboFault {
    QboFault::query_parse(format!("Lexical error at line 1, column {column}. Encountered: \"{character}\""))
}

/// Splits a statement into tokens.
pub(crate) fn tokenize(statement: &str) -> Result<Vec<Located>, QboFault> {
    let characters: Vec<char> = statement.chars().collect();
    let mut tokens = Vec::new();
    let mut index = 0;
    while let Some(&character) = characters.get(index) {
        let column = index + 1;
        let single = match character {
            '*' => Some(Token::Star),
            ',' => Some(Token::Comma),
            '(' => Some(Token::Open),
            ')' => Some(Token::Close),
            '=' => Some(Token::Operator("=")),
            _ => None,
        };
        if let Some(token) = single {
            tokens.push(Located { token, column });
            index += 1;
        } else if character.is_whitespace() {
            index += 1;
        } else if matches!(character, '<' | '>' | '!') {
            let with_equals = characters.get(index + 1) == Some(&'=');
            let operator = match (character, with_equals) {
                ('<', true) => "<=",
                ('>', true) => ">=",
                ('!', true) => "!=",
                ('<', false) if characters.get(index + 1) == Some(&'>') => "!=",
                ('<', false) => "<",
                ('>', false) => ">",
                _ => return Err(unexpected(character, column)),
            };
            index += if operator.len() == 2 { 2 } else { 1 };
            tokens.push(Located { token: Token::Operator(operator), column });
        } else if character == '\'' {
            let mut text = String::new();
            index += 1;
            loop {
                match characters.get(index) {
                    None => {
                        return Err(QboFault::query_parse(format!(
                            "Lexical error at line 1, column {}. Encountered: <EOF> after : \"'{text}\"",
                            characters.len() + 1
                        )));
                    }
                    Some('\\') if characters.get(index + 1).is_some() => {
                        text.extend(characters.get(index + 1));
                        index += 2;
                    }
                    Some('\'') => {
                        index += 1;
                        break;
                    }
                    Some(other) => {
                        text.push(*other);
                        index += 1;
                    }
                }
            }
            tokens.push(Located { token: Token::Text(text), column });
        } else if character.is_ascii_digit()
            || (character == '-' && characters.get(index + 1).is_some_and(char::is_ascii_digit))
        {
            let start = index;
            index += 1;
            while characters.get(index).is_some_and(|next| next.is_ascii_digit() || *next == '.') {
                index += 1;
            }
            tokens.push(Located { token: Token::Number(characters[start..index].iter().collect()), column });
        } else if character.is_alphabetic() || character == '_' {
            let start = index;
            while characters.get(index).is_some_and(|next| next.is_alphanumeric() || matches!(next, '_' | '.')) {
                index += 1;
            }
            tokens.push(Located { token: Token::Word(characters[start..index].iter().collect()), column });
        } else {
            return Err(unexpected(character, column));
        }
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::{Token, tokenize};

    fn tokens(statement: &str) -> Vec<Token> {
        tokenize(statement).expect("tokenizes").into_iter().map(|located| located.token).collect()
    }

    #[test]
    fn words_strings_numbers_and_operators() {
        assert_eq!(
            tokens("select * from Invoice where MetaData.LastUpdatedTime >= '2026-01-01' and TotalAmt<10.5"),
            vec![
                Token::Word("select".into()),
                Token::Star,
                Token::Word("from".into()),
                Token::Word("Invoice".into()),
                Token::Word("where".into()),
                Token::Word("MetaData.LastUpdatedTime".into()),
                Token::Operator(">="),
                Token::Text("2026-01-01".into()),
                Token::Word("and".into()),
                Token::Word("TotalAmt".into()),
                Token::Operator("<"),
                Token::Number("10.5".into()),
            ]
        );
        assert_eq!(tokens(r"DisplayName = 'O\'Brien Cuts'")[2], Token::Text("O'Brien Cuts".into()));
        assert_eq!(tokens("Id in ('1','2')")[2..4], [Token::Open, Token::Text("1".into())]);
    }

    #[test]
    fn unterminated_strings_and_stray_characters_are_parse_errors() {
        for bad in ["select * from Invoice where DocNumber = 'abc", "select * from Invoice;", "select # from Item"] {
            let fault = tokenize(bad).expect_err(bad);
            assert_eq!(fault.code(), "4000", "{bad}");
        }
    }
}
